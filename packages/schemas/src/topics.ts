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
} as const;
export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];
