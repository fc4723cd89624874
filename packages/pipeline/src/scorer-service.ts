import type { Logger } from "@finsentry/core";
import type { Bus, Subscription } from "@finsentry/bus";
import type { DbHandle } from "@finsentry/db";
import type { TextScorer } from "@finsentry/model";
import { RawItemV1, TOPICS, type RawItem, type ScoredItem } from "@finsentry/schemas";
import { mentionsOf } from "./entity-keys.ts";
import { m, recordPredictions } from "./metrics.ts";
import { markPublished, persistScored } from "./persist.ts";

export interface ScorerDeps {
  bus: Bus;
  db: DbHandle;
  log: Logger;
  /** Current model; replaced atomically between batches by `swapModel`. */
  model: TextScorer;
  groupId?: string;
  batchSize?: number;
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
              v: 1, at: new Date().toISOString(), stream: "items.raw",
              origin: { topic: msg.topic, partition: msg.partition, offset: msg.offset },
              reason: "invalid_fields", errors: parsed ? parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) : [{ path: "(root)", message: "malformed JSON" }],
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
    const scored: ScoredItem[] = batch.map((r, i) => {
      const output = outputs[i]!;
      const { raw: _raw, ...item } = r;
      return { v: 1, item, model_version: current.version, scored_at: scoredAt, output, mentions: mentionsOf(output) };
    });
    const endDb = m.scoreBatchSeconds.startTimer({ phase: "db" });
    const unpublished = await persistScored(db.db, scored, raws);
    endDb();
    const toPublish = scored.filter((s) => unpublished.has(s.item.id));
    const endPub = m.scoreBatchSeconds.startTimer({ phase: "publish" });
    await bus.send(TOPICS.scored, toPublish.map((s) => ({ key: s.item.id, value: JSON.stringify(s) })));
    await markPublished(db.db, toPublish.map((s) => s.item.id));
    endPub();
    m.scored.inc({ outcome: "new" }, toPublish.length);
    m.scored.inc({ outcome: "duplicate" }, scored.length - toPublish.length);
    recordPredictions(toPublish);
  };

  const sub: Subscription = await bus.subscribe({
    groupId: deps.groupId ?? "scorer",
    topics: [TOPICS.raw],
    fromBeginning: true,
    maxBatchSize: deps.batchSize ?? 64,
    eachBatch: async ({ messages }) => {
      const p = handleBatch(messages);
      inFlight = p.catch(() => undefined);
      await p;
    },
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
