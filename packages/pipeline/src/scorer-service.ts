import type { Logger } from "@finsentry/core";
import { errorSummary, type Batch, type Bus, type BusMessage, type Subscription } from "@finsentry/bus";
import type { DbHandle } from "@finsentry/db";
import type { EntityResolver } from "@finsentry/entities";
import type { TextScorer } from "@finsentry/model";
import { DeadLetterV1, RawItemV1, TOPICS, type DeadLetter, type RawItem, type ScoredItem } from "@finsentry/schemas";
import { mentionsOf } from "./entity-keys.ts";
import { m, recordPredictions } from "./metrics.ts";
import { markPublished, persistScored } from "./persist.ts";

export interface ScorerDeps {
  bus: Bus;
  db: DbHandle;
  log: Logger;
  /** The entity resolver of the moment (the registry follower's); absent or null keys mentions by their text. */
  resolver?: () => EntityResolver | null;
  /** Current model; replaced atomically between batches by `swapModel`. */
  model: TextScorer;
  groupId?: string;
  batchSize?: number;
  /** Failed tries of a batch before its messages are stored one by one and poison ones dead-lettered (default 5). */
  maxAttempts?: number;
}

export interface ScorerHandle {
  stop(): Promise<void>;
  /** Switches to a new model between batches; the old one is closed once no batch uses it. */
  swapModel(next: TextScorer): Promise<void>;
  readonly modelVersion: string;
}

/**
 * items.raw → model (one pass per batch) → Postgres (one transaction) → items.scored → offset commit.
 * At-least-once delivery with an exactly-once effect: inserts are idempotent on item id, and the scored event is
 * re-published on replay only for items not yet marked published.
 */
export async function startScorer(deps: ScorerDeps): Promise<ScorerHandle> {
  const { bus, db, log } = deps;
  let model = deps.model;
  let inFlight: Promise<unknown> = Promise.resolve();
  m.modelVersion.set({ version: model.version }, 1);

  const handleBatch = async (messages: { value: Buffer; offset: string; partition: number; topic: string }[]) => {
    const raws = new Map<string, RawItem>();
    for (const msg of messages) {
      let parsed;
      try {
        parsed = RawItemV1.safeParse(JSON.parse(msg.value.toString()));
      } catch {
        parsed = null;
      }
      if (!parsed?.success) {
        // items.raw is written only by ingest; a bad message here is a bug upstream — record it, do not stall.
        log.error({ topic: msg.topic, partition: msg.partition, offset: msg.offset }, "invalid message on items.raw");
        await bus.send(TOPICS.deadLetter, [
          {
            key: "items.raw",
            value: JSON.stringify({
              v: 1,
              at: new Date().toISOString(),
              stream: "items.raw",
              origin: { topic: msg.topic, partition: msg.partition, offset: msg.offset },
              reason: "invalid_fields",
              errors: parsed
                ? parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }))
                : [{ path: "(root)", message: "malformed JSON" }],
              payload: msg.value.toString().slice(0, 65536),
            }),
          },
        ]);
        continue;
      }
      raws.set(parsed.data.id, parsed.data); // duplicates within a batch collapse here
    }
    if (raws.size === 0) return;
    const batch = [...raws.values()];
    const current = model;
    const endScore = m.scoreBatchSeconds.startTimer({ phase: "model" });
    const outputs = await current.score(batch.map((r) => r.text));
    endScore();
    const scoredAt = new Date().toISOString();
    const resolver = deps.resolver?.() ?? null;
    const scored: ScoredItem[] = batch.map((r, i) => {
      const output = outputs[i]!;
      const { raw: _raw, ...item } = r;
      return { v: 1, item, model_version: current.version, scored_at: scoredAt, output, mentions: mentionsOf(output, r.text, resolver) };
    });
    const endDb = m.scoreBatchSeconds.startTimer({ phase: "db" });
    const unpublished = await persistScored(db.db, scored, raws);
    endDb();
    const toPublish = scored.filter((s) => unpublished.has(s.item.id));
    const endPub = m.scoreBatchSeconds.startTimer({ phase: "publish" });
    await bus.send(
      TOPICS.scored,
      toPublish.map((s) => ({ key: s.item.id, value: JSON.stringify(s) })),
    );
    await markPublished(
      db.db,
      toPublish.map((s) => s.item.id),
    );
    endPub();
    m.scored.inc({ outcome: "new" }, toPublish.length);
    m.scored.inc({ outcome: "duplicate" }, scored.length - toPublish.length);
    recordPredictions(toPublish);
  };

  /**
   * A batch failed every retry: store its messages one by one and dead-letter those that fail on their own data (a
   * database data error, or failing while others of the batch went through, unless the database or network is what
   * failed). If any failure looks like the system's (e.g. the database is down), throw: the bus keeps retrying the
   * batch, and stores already made are idempotent.
   */
  const isolatePoison = async (batch: Batch) => {
    const failed: { msg: BusMessage; err: unknown }[] = [];
    let stored = 0;
    for (const msg of batch.messages) {
      try {
        await handleBatch([msg]);
        stored++;
      } catch (err) {
        failed.push({ msg, err });
      }
    }
    if (failed.length === 0) return;
    const poison = failed.every((f) => isDataError(f.err) || (stored > 0 && !isUnavailable(f.err)));
    if (!poison) throw failed[0]!.err;
    for (const { msg, err } of failed) {
      const why = errorSummary(err);
      log.error(
        { topic: msg.topic, partition: msg.partition, offset: msg.offset, ...why },
        "item cannot be stored; sent to the dead-letter topic",
      );
      const stream = streamOf(msg.value);
      const dl: DeadLetter = DeadLetterV1.parse({
        v: 1,
        at: new Date().toISOString(),
        stream,
        origin: { topic: msg.topic, partition: msg.partition, offset: msg.offset },
        reason: "invalid_fields",
        errors: [{ path: "(store)", message: `could not be stored: ${why.error}${why.code ? ` (${why.code})` : ""}` }],
        payload: msg.value.toString().slice(0, 65536),
      });
      await bus.send(TOPICS.deadLetter, [{ key: stream, value: JSON.stringify(dl) }]);
      m.deadLetters.inc({ stream, reason: dl.reason });
    }
  };

  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight = p.catch(() => undefined);
    return p;
  };
  const sub: Subscription = await bus.subscribe({
    groupId: deps.groupId ?? "scorer",
    topics: [TOPICS.raw],
    fromBeginning: true,
    maxBatchSize: deps.batchSize ?? 64,
    maxAttempts: deps.maxAttempts,
    eachBatch: ({ messages }) => track(handleBatch(messages)),
    onRetriesExhausted: (batch) => track(isolatePoison(batch)),
  });
  log.info({ model: model.version, bus: bus.kind, db: db.kind }, "scorer started");

  return {
    get modelVersion() {
      return model.version;
    },
    async swapModel(next) {
      const previous = model;
      model = next; // the next batch uses it; a batch already running keeps the model it started with
      m.modelVersion.reset();
      m.modelVersion.set({ version: next.version }, 1);
      await inFlight;
      if (previous !== next) await previous.close();
      log.info({ from: previous.version, to: next.version }, "scorer switched model");
    },
    async stop() {
      await sub.stop();
      await inFlight;
    },
  };
}

/** SQLSTATE class 22 (data exception, e.g. a NUL in text) or 23 (constraint): retrying the same data cannot help. */
function isDataError(err: unknown): boolean {
  return /^2[23]/.test(errorSummary(err).code ?? "");
}

/** The database or network went away (SQLSTATE 08 connection, 57P shutdown, 53 resources, socket errors): not the item's fault. */
function isUnavailable(err: unknown): boolean {
  const code = errorSummary(err).code ?? "";
  return /^(08|57P|53)/.test(code) || /^E(CONN|PIPE|TIMEDOUT|HOSTUNREACH|NOTFOUND|AI_AGAIN)/.test(code);
}

function streamOf(value: Buffer): string {
  try {
    const s = (JSON.parse(value.toString()) as { stream?: unknown }).stream;
    if (typeof s === "string" && s.length > 0 && s.length <= 63) return s;
  } catch {
    // fall through
  }
  return "items.raw";
}
