export { readOnnxFloatTensor, type FloatTensor } from "./onnxTensor.ts";
export { wordPieceVocab, wordPieceIds, type WordPieceVocab } from "./wordpiece.ts";
export { embeddingInit, type EmbeddingInit } from "./embeddingInit.ts";
export { loadPretrainedEmbeddings, BERT_EMBEDDING_TENSOR, type PretrainedEmbeddings } from "./load.ts";
