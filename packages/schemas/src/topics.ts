/** Kafka topic names shared by every service. */
export const TOPICS = {
  news: "news",
  social: "social",
  raw: "items.raw",
  scored: "items.scored",
  deadLetter: "items.deadletter",
  alerts: "alerts",
  labels: "labels",
  modelEvents: "model.events",
  /** Training run progress and lifecycle (TrainingProgressV1), relayed to dashboards by every API process. */
  trainingProgress: "training.progress",
} as const;
export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];
