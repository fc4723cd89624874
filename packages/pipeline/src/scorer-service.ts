import type { Logger } from "@finsentry/core";
import { errorSummary, type Batch, type Bus, type BusMessage, type Subscription } from "@finsentry/bus";
import type { DbHandle } from "@finsentry/db";
import type { EntityResolver } from "@finsentry/entities";
import type { TextScorer } from "@finsentry/model";
import { DeadLetterV1, RawItemV1, TOPICS, type DeadLetter, type ModelOutput, type RawItem, type ScoredItem } from "@finsentry/schemas";
import { mentionsOf } from "./entity-keys.ts";
import { m, recordPredictions } from "./metrics.ts";
import { markPublished, persistScored, type StoredBatch } from "./persist.ts";
import { loadScorerConfig } from "./scorer-config.ts";

/** A model pass at least this long is worth overlapping with the writes; a shorter one (the lexicon) is not. */
const OVERLAP_MIN_PASS_MS = 1;
/**
 * Transactions of one hand-off in flight at once (disjoint ids, so they never wait on each other). Two let Postgres
 * store on a second core while the first store runs: +31 % items/s with the bundled model, no change with the lexicon
 * (docs/benchmarks.md, Pipeline).
 */
const MAX_STORES = 2;
/**
 * While the model runs, a store waits until this many scored items are pending (or the hand-off's write cap, if
 * smaller): each transaction has a fixed Postgres cost (plan, commit, the published mark), and stores of the ~100 items
 * that one free store slot used to find cost ~20 % more Postgres CPU per item than stores of 256 (-12 % wall time with
 * the bundled model in alternating bench:pipeline rounds).
 */
const MIN_OVERLAP_WRITE = 256;
/**
 * Partitions of items.raw whose hand-offs a scorer handles at once. A hand-off ends with its last store, publish,
 * mark and offset commit; with a second and third partition under way the model (in its worker thread) scores
 * meanwhile instead of waiting (+5 % items/s in alternating bench:pipeline rounds). Items are keyed by id, so
 * concurrent hand-offs never write the same item.
 */
const PARTITIONS_AT_ONCE = 3;

export interface ScorerDeps {
  bus: Bus;
  db: DbHandle;
  log: Logger;
  /** The entity resolver of the moment (the registry follower's); absent or null keys mentions by their text. */
  resolver?: () => EntityResolver | null;
  /** Current model; replaced atomically between batches by `swapModel`. */
  model: TextScorer;
  groupId?: string;
  /** Items per model pass (default 64). */
  batchSize?: number;
  /** Most items one hand-off from the bus covers (default SCORER_MAX_WRITE_BATCH, see scorer-config). */
  maxWriteBatch?: number;
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
 * items.raw → model (passes of `batchSize`) → Postgres (one transaction per write) → items.scored → offset commit.
 * At-least-once delivery with an exactly-once effect: inserts are idempotent on item id, and the scored event is
 * re-published on replay only for items not yet marked published.
 */
export async function startScorer(deps: ScorerDeps): Promise<ScorerHandle> {
  const { bus, db, log } = deps;
  let model = deps.model;
  const inFlight = new Set<Promise<unknown>>();
  m.modelVersion.set({ version: model.version }, 1);

  const batchSize = deps.batchSize ?? 64;

  /** items.raw → validated items, one per id (duplicates within a hand-off collapse); bad messages dead-lettered. */
  const validate = async (messages: BusMessage[]): Promise<Map<string, RawItem>> => {
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
      raws.set(parsed.data.id, parsed.data);
    }
    return raws;
  };

  /** Publishes the stored items not yet on items.scored, then marks them published. */
  const publish = async (scored: ScoredItem[], stored: StoredBatch) => {
    const toPublish = scored.filter((s) => stored.unpublished.has(s.item.id));
    const endPub = m.scoreBatchSeconds.startTimer({ phase: "publish" });
    await bus.send(
      TOPICS.scored,
      toPublish.map((s) => ({ key: s.item.id, value: JSON.stringify(s) })),
    );
    await markPublished(db.db, stored);
    endPub();
    m.scored.inc({ outcome: "new" }, toPublish.length);
    m.scored.inc({ outcome: "duplicate" }, scored.length - toPublish.length);
    recordPredictions(toPublish);
  };

  /**
   * One hand-off from the bus. The model runs passes of `batchSize` items; the items scored so far are stored as one
   * transaction, and while it runs the model goes on and earlier writes are published (up to MAX_STORES stores at
   * once; publishes in store order, each after its store). Resolves only once every item of the hand-off is stored,
   * published and marked, so the bus commits the offsets after the effects; any failure throws and the whole
   * hand-off is retried (every step is idempotent).
   */
  const handleBatch = async (messages: BusMessage[]) => {
    const raws = await validate(messages);
    if (raws.size === 0) return;
    const batch = [...raws.values()];
    const current = model;
    const resolver = deps.resolver?.() ?? null;
    const pending: ScoredItem[] = [];
    // At least two writes per hand-off, so the second one's store overlaps the first one's publish.
    const writeCap = Math.max(batchSize, Math.ceil(batch.length / 2));
    const minOverlapWrite = Math.min(MIN_OVERLAP_WRITE, writeCap);
    let storing = 0;
    let scoringDone = false;
    let overlap = false;
    let failed: { err: unknown } | null = null;
    let published: Promise<void> = Promise.resolve();
    let wake = () => {};
    const fail = (err: unknown) => {
      failed ??= { err };
      wake();
    };
    const pump = () => {
      if (storing >= MAX_STORES || failed || pending.length === 0) return;
      if (!scoringDone && !(overlap && pending.length >= minOverlapWrite)) return;
      const part = pending.splice(0, writeCap);
      storing++;
      const endDb = m.scoreBatchSeconds.startTimer({ phase: "db" });
      const stored = persistScored(db.db, part, raws);
      stored.then(
        () => {
          endDb();
          storing--;
          pump();
          wake();
        },
        (err: unknown) => {
          storing--;
          fail(err);
        },
      );
      published = Promise.all([stored, published]).then(([done]) => publish(part, done));
      published.catch(fail);
    };
    try {
      // Each pass is submitted before the one ahead of it is awaited, so a model in a worker thread (createSession)
      // goes on with the next pass while this thread decodes, keys and stores the last one.
      const submit = (i: number): Promise<ModelOutput[]> | null => {
        if (i >= batch.length) return null;
        const pass = current.score(batch.slice(i, i + batchSize).map((r) => r.text));
        pass.catch(() => undefined); // awaited in the loop below; a failure behind an earlier one is not unhandled
        return pass;
      };
      let ahead = submit(0);
      let t0 = performance.now();
      for (let i = 0; i < batch.length && !failed; i += batchSize) {
        const part = batch.slice(i, i + batchSize);
        const pass = ahead!;
        ahead = submit(i + batchSize);
        const outputs = await pass;
        // Time since the pass before was done: the model's own pace, whether or not a pass was queued.
        const passMs = performance.now() - t0;
        t0 = performance.now();
        m.scoreBatchSeconds.observe({ phase: "model" }, passMs / 1000);
        overlap = passMs >= OVERLAP_MIN_PASS_MS;
        const scoredAt = new Date().toISOString();
        for (let k = 0; k < part.length; k++) {
          const r = part[k]!;
          const output = outputs[k]!;
          const { raw: _raw, ...item } = r;
          pending.push({
            v: 1,
            item,
            model_version: current.version,
            scored_at: scoredAt,
            output,
            mentions: mentionsOf(output, r.text, resolver),
          });
        }
        pump();
      }
    } catch (err) {
      fail(err); // a model failure still waits below for the writes already under way
    }
    scoringDone = true;
    pump();
    // A store still running when a publish failed is waited for, so a retry never races its own hand-off.
    while (storing > 0 || (!failed && pending.length > 0)) await new Promise<void>((r) => (wake = r));
    await published.catch(() => undefined);
    if (failed) throw (failed as { err: unknown }).err;
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
    const settled = p.catch(() => undefined);
    inFlight.add(settled);
    void settled.then(() => inFlight.delete(settled));
    return p;
  };
  /** Every hand-off running now (one per partition being handled) has settled. */
  const drained = () => Promise.all([...inFlight]);
  const sub: Subscription = await bus.subscribe({
    groupId: deps.groupId ?? "scorer",
    topics: [TOPICS.raw],
    fromBeginning: true,
    maxBatchSize: Math.max(batchSize, deps.maxWriteBatch ?? loadScorerConfig().SCORER_MAX_WRITE_BATCH),
    maxAttempts: deps.maxAttempts,
    partitionsConcurrently: PARTITIONS_AT_ONCE,
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
      await drained();
      if (previous !== next) await previous.close();
      log.info({ from: previous.version, to: next.version }, "scorer switched model");
    },
    async stop() {
      await sub.stop();
      await drained();
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
