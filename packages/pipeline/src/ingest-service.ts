import type { Logger } from "@finsentry/core";
import type { Bus, BusMessage } from "@finsentry/bus";
import { TOPICS, type DeadLetter, type RawItem } from "@finsentry/schemas";
import { ingestDocument, RecentIds, type FieldMapping } from "@finsentry/ingest";
import { m } from "./metrics.ts";

export interface IngestOutcome {
  accepted: RawItem[];
  duplicates: number;
  rejected: DeadLetter[];
}

/**
 * Publishes validated items to items.raw and rejections to the dead-letter topic. Ids are remembered only after
 * the send succeeded, so a failed send is retried rather than mistaken for a duplicate.
 */
export class IngestWriter {
  constructor(private bus: Bus, private recent = new RecentIds()) {}

  async write(results: ReturnType<typeof ingestDocument>[]): Promise<IngestOutcome> {
    const accepted: RawItem[] = [];
    const rejected: DeadLetter[] = [];
    const batchIds = new Set<string>();
    let duplicates = 0;
    for (const r of results) {
      if (!r.ok) {
        rejected.push(r.deadLetter);
        continue;
      }
      if (batchIds.has(r.item.id) || this.recent.has(r.item.id)) {
        duplicates++;
        continue;
      }
      batchIds.add(r.item.id);
      accepted.push(r.item);
    }
    await Promise.all([
      this.bus.send(TOPICS.raw, accepted.map((i) => ({ key: i.id, value: JSON.stringify(i) }))),
      this.bus.send(TOPICS.deadLetter, rejected.map((d) => ({ key: d.stream, value: JSON.stringify(d) }))),
    ]);
    for (const i of accepted) this.recent.add(i.id);
    for (const i of accepted) m.ingested.inc({ stream: i.stream, outcome: "accepted" });
    for (const d of rejected) {
      m.ingested.inc({ stream: d.stream, outcome: "rejected" });
      m.deadLetters.inc({ stream: d.stream, reason: d.reason });
    }
    if (duplicates) m.ingested.inc({ stream: "*", outcome: "duplicate" }, duplicates);
    return { accepted, duplicates, rejected };
  }
}

export interface KafkaSourceSpec {
  /** Stream name recorded on every item (e.g. `news`, or a custom stream id). */
  stream: string;
  topic: string;
  mapping?: FieldMapping;
}

/** Consumes one source topic, validating every message; never crashes on bad input. */
export async function startTopicIngest(deps: { bus: Bus; log: Logger; writer: IngestWriter; groupId?: string }, spec: KafkaSourceSpec) {
  const { bus, log, writer } = deps;
  return bus.subscribe({
    groupId: deps.groupId ?? `ingest-${spec.stream}`,
    topics: [spec.topic],
    fromBeginning: true,
    eachBatch: async ({ messages, partition }) => {
      const end = m.ingestBatchSeconds.startTimer();
      const results = messages.map((msg: BusMessage) =>
        ingestDocument(msg.value, { stream: spec.stream, topic: spec.topic, partition, offset: msg.offset }, { mapping: spec.mapping }),
      );
      const out = await writer.write(results);
      end();
      if (out.rejected.length) log.debug({ stream: spec.stream, rejected: out.rejected.length }, "rejected messages sent to dead-letter");
    },
  });
}
