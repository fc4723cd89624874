import { createHash } from "node:crypto";

/** Stable key → partition choice, shared by the memory adapter (Kafka uses its own murmur2 partitioner). */
export function partitionForKey(key: string, partitions: number): number {
  return createHash("md5").update(key).digest().readUInt32BE(0) % partitions;
}
