export { trainModel, type TrainInput, type TrainResult, type EpochRecord, type TrainProgress } from "./trainer.ts";
export { fineTune, type FineTuneOptions } from "./finetune.ts";
export { saveTrained, dataCard } from "./save.ts";
export { TrainOptions, TASKS, type Task, type TrainOptionsInput } from "./options.ts";
export { encodeExample, NO_LABEL, type Encoded } from "./encode.ts";
export { evaluate, type DevMetrics } from "./evaluate.ts";
