import type { Logger } from "@finsentry/core";
import { MemoryBus, type Bus, type BusMessage, type SentPosition } from "@finsentry/bus";
import { TOPICS, type DeadLetter, type RawItem } from "@finsentry/schemas";
import { ingestDocument, RecentIds, type FieldMapping } from "@finsentry/ingest";
import { loadIngestConfig } from "./ingest-config.ts";
import { m } from "./metrics.ts";

export interface IngestOutcome {
  accepted: RawItem[];
  duplicates: number;
  rejected: DeadLetter[];
}

export interface IngestWriterOptions {
  /** Scorer lag on items.raw above which pushes are refused (429) and in-memory sources wait. */
  maxLag?: number;
  /** In-memory bus: how long a durable write waits for the scorer's commit before failing with 503. */
  ackTimeoutMs?: number;
  /** The consumer group whose commit makes an item durable (it stores items before committing). */
  scorerGroup?: string;
  recent?: RecentIds;
}

/** The write was refused or not confirmed in time: answer `status` with Retry-After; nothing is lost by retrying. */
export class IngestBusyError extends Error {
  constructor(
    readonly status: 429 | 503,
    readonly retryAfterS: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Publishes validated items to items.raw and rejections to the dead-letter topic. Ids are remembered only after
 * the send succeeded, so a failed send is retried rather than mistaken for a duplicate.
 *
 * Durable writes (HTTP pushes) resolve only once the items would survive a crash: on Kafka once the broker acked
 * the produce; on the in-memory bus once the scorer group committed past them, which it does only after storing
 * them in the database.
 */
export class IngestWriter {
  private recent: RecentIds;
  private maxLag: number;
  private ackTimeoutMs: number;
  private scorerGroup: string;
  /** Memory bus: ids sent but not yet committed by the scorer, so a retried push waits for the first copy. */
  private pending = new Map<string, SentPosition>();
  private lagSample = { value: 0, at: 0 };

  constructor(
    private bus: Bus,
    opts: IngestWriterOptions = {},
  ) {
    const env = opts.maxLag === undefined || opts.ackTimeoutMs === undefined ? loadIngestConfig() : null;
    this.maxLag = opts.maxLag ?? env!.INGEST_MAX_LAG;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? env!.INGEST_ACK_TIMEOUT_MS;
    this.scorerGroup = opts.scorerGroup ?? "scorer";
    this.recent = opts.recent ?? new RecentIds();
  }

  /** Scorer lag on items.raw; Kafka's (an admin round trip) is sampled at most once a second. */
  async scorerLag(): Promise<number> {
    if (this.bus instanceof MemoryBus || Date.now() - this.lagSample.at > 1000) {
      this.lagSample = { value: await this.bus.lag(this.scorerGroup, TOPICS.raw), at: Date.now() };
    }
    return this.lagSample.value;
  }

  /**
   * `durable`: refuse when the scorer is behind (429) and resolve only once the accepted items are stored (memory
   * bus) or acked by the broker (Kafka). Otherwise (topic ingest) an in-memory bus waits while the scorer is
   * behind, so a fast source cannot grow the bus without bound.
   */
  async write(results: ReturnType<typeof ingestDocument>[], opts: { durable?: boolean } = {}): Promise<IngestOutcome> {
    if (opts.durable) {
      const lag = await this.scorerLag();
      if (lag > this.maxLag) throw new IngestBusyError(429, 1, `the scorer is ${lag} items behind (limit ${this.maxLag}); retry later`);
    } else if (this.bus instanceof MemoryBus) {
      await this.waitForLagBelowLimit();
    }
    const accepted: RawItem[] = [];
    const rejected: DeadLetter[] = [];
    const batchIds = new Set<string>();
    const awaited: SentPosition[] = [];
    let duplicates = 0;
    for (const r of results) {
      if (!r.ok) {
        rejected.push(r.deadLetter);
        continue;
      }
      if (batchIds.has(r.item.id) || this.recent.has(r.item.id)) {
        // A re-post of an item still on its way to the database is acknowledged only with it.
        const first = this.pending.get(r.item.id);
        if (first) awaited.push(first);
        duplicates++;
        continue;
      }
      batchIds.add(r.item.id);
      accepted.push(r.item);
    }
    const [sent] = await Promise.all([
      this.bus.send(
        TOPICS.raw,
        accepted.map((i) => ({ key: i.id, value: JSON.stringify(i) })),
      ),
      this.bus.send(
        TOPICS.deadLetter,
        rejected.map((d) => ({ key: d.stream, value: JSON.stringify(d) })),
      ),
    ]);
    for (const i of accepted) this.recent.add(i.id);
    if (this.bus instanceof MemoryBus && sent && sent.length) {
      sent.forEach((pos, k) => this.pending.set(accepted[k]!.id, pos));
      const ids = accepted.map((i) => i.id);
      // Forgotten once stored, whether or not anyone still waits; a closing bus rejects (nothing left to wait for).
      this.bus.waitForCommit(this.scorerGroup, sent).then(
        () => ids.forEach((id) => this.pending.delete(id)),
        () => ids.forEach((id) => this.pending.delete(id)),
      );
      awaited.push(...sent);
    }
    for (const i of accepted) m.ingested.inc({ stream: i.stream, outcome: "accepted" });
    for (const d of rejected) {
      m.ingested.inc({ stream: d.stream, outcome: "rejected" });
      m.deadLetters.inc({ stream: d.stream, reason: d.reason });
    }
    if (duplicates) m.ingested.inc({ stream: "*", outcome: "duplicate" }, duplicates);
    if (opts.durable && awaited.length && this.bus instanceof MemoryBus) await this.awaitStored(this.bus, awaited);
    return { accepted, duplicates, rejected };
  }

  private async awaitStored(bus: MemoryBus, positions: SentPosition[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new IngestBusyError(503, 5, `items not stored within ${this.ackTimeoutMs} ms; retry later (a retry is not stored twice)`)),
        this.ackTimeoutMs,
      );
    });
    const stored = bus.waitForCommit(this.scorerGroup, positions);
    stored.catch(() => undefined); // may settle after the timeout answered
    try {
      await Promise.race([stored, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Memory bus, topic ingest: holds the batch while the scorer is behind (at most the ack timeout, then proceeds). */
  private async waitForLagBelowLimit(): Promise<void> {
    const deadline = Date.now() + this.ackTimeoutMs;
    while ((await this.scorerLag()) > this.maxLag && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
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
