import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asc, count, inArray } from "drizzle-orm";
import { createLogger } from "@finsentry/core";
import { KafkaBus, MemoryBus } from "@finsentry/bus";
import { alertEvents, alertItems, alerts, openDb, type DbHandle } from "@finsentry/db";
import { startAlerter } from "@finsentry/alerts";
import { TOPICS, type ScoredItem } from "@finsentry/schemas";
import { rng, scoredItem } from "../../packages/alerts/test/helpers.ts";
import { freePort, startService, stopProcess } from "./processes.ts";
import { createTestDatabase, KAFKA_BROKERS, uniqueName } from "./services.ts";

export const log = createLogger("alerter-ha", process.env.LOG_LEVEL ?? "warn");
const MIN = 60_000;
const H = 60 * MIN;
const T0 = Date.parse("2025-03-03T00:00:00Z");
export const PARTITIONS = 3;

/** Two rules that fire on bearish bursts; short cooldowns so an entity with two bursts fires twice. */
export const RULES_YAML = `
rules:
  - id: level
    name: Bearish level
    type: sentiment_level
    severity: warning
    window: { type: sliding, size: 30m, step: 5m }
    op: below
    threshold: -0.4
    min_samples: 5
    for: 10m
    cooldown: 1h
  - id: legal
    name: Legal news
    type: watched_topics
    severity: critical
    window: { type: sliding, size: 30m, step: 5m }
    topics: ["Legal | Regulation"]
    min_count: 3
    sentiment: { op: below, threshold: -0.3 }
    cooldown: 1h
`;

export interface Burst {
  items: ScoredItem[];
  /** (item, entity) pairs the alerter counts: the idempotency set's expected size. */
  contributions: number;
  /** Markers sent last, one per partition, dated after everything: once all are counted, all before them were. */
  markers: ScoredItem[];
}

/**
 * `entities` tickers over 12 h of event time (in 2025, far from the clock, so no wall-clock watermark moves): neutral
 * chatter every 3 minutes each, and a 40-minute bearish legal-news burst per entity (two bursts, 5 h apart, for
 * every third one) — each burst fires both rules once and resolves once it is over. Sorted by event time.
 */
export function buildBurst(entities = 16): Burst {
  const r = rng(7);
  const items: ScoredItem[] = [];
  const end = T0 + 12 * H;
  for (let e = 0; e < entities; e++) {
    const key = `TICKER:HA${e}`;
    for (let t = T0; t < end; t += 3 * MIN) {
      items.push(
        scoredItem({
          key: `n-${e}-${t}`,
          t: t + Math.floor(r() * 60_000),
          score: -0.1 + r() * 0.25,
          label: "neutral",
          confidence: 0.6 + r() * 0.3,
          entities: [key],
        }),
      );
    }
    const starts = [T0 + 2 * H + ((e * 23 * MIN) % (3 * H))];
    if (e % 3 === 0) starts.push(starts[0]! + 5 * H);
    for (const s of starts) {
      for (let t = s; t < s + 40 * MIN; t += 30_000) {
        items.push(
          scoredItem({
            key: `b-${e}-${t}`,
            t: t + Math.floor(r() * 20_000),
            score: -0.6 - r() * 0.3,
            label: "bearish",
            confidence: 0.8 + r() * 0.15,
            topic: "Legal | Regulation",
            entities: [key],
          }),
        );
      }
    }
  }
  items.sort((a, b) => Date.parse(a.item.published_at) - Date.parse(b.item.published_at) || a.item.id.localeCompare(b.item.id));
  const markers = Array.from({ length: PARTITIONS }, (_, p) =>
    scoredItem({ key: `marker-${p}`, t: end + 3 * H, score: 0, entities: ["TICKER:ZZMARKER"] }),
  );
  return { items, contributions: items.length, markers };
}

/** Sends items in event-time order, item i to partition i % 3 (each partition in order: no late items). */
export function messagesOf(items: ScoredItem[], offset = 0) {
  return items.map((it, i) => ({ key: it.item.id, value: JSON.stringify(it), partition: (offset + i) % PARTITIONS }));
}

export interface AlertRecord {
  id: string;
  rule: string;
  entity: string;
  fired: string;
  state: string;
  resolved: string | null;
}

export async function alertRecords(db: DbHandle): Promise<AlertRecord[]> {
  const rows = await db.db.select().from(alerts).orderBy(asc(alerts.id));
  return rows.map((a) => ({
    id: a.id,
    rule: a.ruleId,
    entity: a.entityKey,
    fired: a.firedAt.toISOString(),
    state: a.state,
    resolved: a.resolvedAt?.toISOString() ?? null,
  }));
}

export async function eventRecords(db: DbHandle): Promise<{ id: string; type: string }[]> {
  const rows = await db.db.select({ id: alertEvents.id, type: alertEvents.type }).from(alertEvents).orderBy(asc(alertEvents.id));
  return rows;
}

export async function counted(db: DbHandle, ids?: string[]): Promise<number> {
  const q = db.db.select({ n: count() }).from(alertItems);
  const [r] = await (ids ? q.where(inArray(alertItems.itemId, ids)) : q);
  return r!.n;
}

export async function writeRulesFile(): Promise<string> {
  const f = join(await mkdtemp(join(tmpdir(), "alerter-ha-")), "rules.yaml");
  await writeFile(f, RULES_YAML);
  return f;
}

/** The alerts one undisturbed alerter makes from the burst (in process, memory bus, PGlite): the expected set. */
export async function referenceRun(
  burst: Burst,
  rulesFile: string,
): Promise<{ alerts: AlertRecord[]; events: { id: string; type: string }[] }> {
  const bus = new MemoryBus(PARTITIONS);
  const db = await openDb("memory://");
  const alerter = await startAlerter({ bus, db, log, rulesFile, options: { expectedPartitions: PARTITIONS, tickMs: 0, rulesPollMs: 0 } });
  try {
    const msgs = messagesOf([...burst.items, ...burst.markers]);
    for (let i = 0; i < msgs.length; i += 500) await bus.send(TOPICS.scored, msgs.slice(i, i + 500));
    const deadline = Date.now() + 120_000;
    while ((await counted(db)) < burst.contributions + burst.markers.length) {
      if (Date.now() > deadline) throw new Error("reference alerter did not count every item");
      await new Promise((r) => setTimeout(r, 100));
    }
    await alerter.engine.idle();
    return { alerts: await alertRecords(db), events: await eventRecords(db) };
  } finally {
    await alerter.stop();
    await bus.close();
    await db.close();
  }
}

type Proc = ReturnType<typeof startService> & { metricsPort: number; n: number };

export interface Takeover {
  killedPid: number;
  fromEpoch: number;
  toEpoch: number;
  newPid: number;
  /** Kill → the new holder's `acquired_at` (lease taken). */
  leaseMs: number;
  /** Kill → the first item counted after the takeover (consuming again: lease + checkpoint + Kafka group handover). */
  resumeMs: number | null;
}

/** Several alerter processes on one namespace and a fresh Postgres database, with a lease watcher. */
export class AlerterCluster {
  procs: Proc[] = [];
  private seq = 0;
  private constructor(
    readonly ns: string,
    readonly db: DbHandle,
    readonly dbUrl: string,
    readonly bus: KafkaBus,
    readonly rulesFile: string,
    private readonly dropDb: () => Promise<void>,
    private readonly extraEnv: Record<string, string>,
  ) {}

  static async create(extraEnv: Record<string, string> = {}): Promise<AlerterCluster> {
    const ns = `${uniqueName("t")}.`;
    const tdb = await createTestDatabase();
    const db = await openDb(tdb.url);
    const bus = new KafkaBus({ brokers: KAFKA_BROKERS!, namespace: ns, log });
    await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: PARTITIONS })));
    return new AlerterCluster(ns, db, tdb.url, bus, await writeRulesFile(), () => tdb.drop(), extraEnv);
  }

  async start(): Promise<Proc> {
    const metricsPort = await freePort();
    const p = startService("alerter", {
      KAFKA_BROKERS: KAFKA_BROKERS!.join(","),
      KAFKA_NAMESPACE: this.ns,
      DATABASE_URL: this.dbUrl,
      TOPIC_PARTITIONS: String(PARTITIONS),
      ALERT_RULES_FILE: this.rulesFile,
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: "info",
      ...this.extraEnv,
    }) as Proc;
    p.metricsPort = metricsPort;
    p.n = ++this.seq;
    this.procs.push(p);
    return p;
  }

  alive(): Proc[] {
    return this.procs.filter((p) => p.exitCode === null && p.signalCode === null);
  }

  async lease(): Promise<{ holder: string; pid: number; epoch: number; acquiredAt: number; expiresAt: number } | null> {
    const r = await this.db.exec(
      "select holder, epoch, extract(epoch from acquired_at) * 1000 as acq, extract(epoch from expires_at) * 1000 as exp from leader_leases where name = 'alerter'",
    );
    const row = r.rows[0];
    if (!row) return null;
    const holder = String(row.holder);
    return { holder, pid: Number(holder.split(":")[1]), epoch: Number(row.epoch), acquiredAt: Number(row.acq), expiresAt: Number(row.exp) };
  }

  /** The process holding an unexpired lease, once one does. */
  async waitForLeader(timeoutMs = 60_000): Promise<{ proc: Proc; epoch: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const l = await this.lease();
      const proc = l && l.expiresAt > Date.now() ? this.alive().find((p) => p.pid === l.pid) : undefined;
      if (l && proc) return { proc, epoch: l.epoch };
      if (Date.now() > deadline)
        throw new Error(
          `no alerter took the lease within ${timeoutMs} ms\n${this.procs.map((p) => p.output().slice(-3000)).join("\n---\n")}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGKILLs the leader and measures how long until another process holds the lease and counts items again. */
  async killLeader(timeoutMs = 60_000, whileWaiting: () => Promise<void> = async () => {}): Promise<Takeover> {
    const { proc, epoch } = await this.waitForLeader();
    const before = await counted(this.db);
    const killedAt = Date.now();
    proc.kill("SIGKILL");
    let leaseMs: number | null = null;
    let newPid = 0;
    let toEpoch = epoch;
    let resumeMs: number | null = null;
    let base = before;
    const deadline = killedAt + timeoutMs;
    while (Date.now() < deadline && (leaseMs === null || resumeMs === null)) {
      await whileWaiting();
      const l = await this.lease();
      if (leaseMs === null && l && l.epoch > epoch && l.pid !== proc.pid) {
        leaseMs = Math.max(0, l.acquiredAt - killedAt);
        newPid = l.pid;
        toEpoch = l.epoch;
        base = await counted(this.db);
      } else if (leaseMs !== null && (await counted(this.db)) > base) {
        resumeMs = Date.now() - killedAt;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (leaseMs === null) throw new Error(`no takeover within ${timeoutMs} ms of killing pid ${proc.pid}`);
    return { killedPid: proc.pid!, fromEpoch: epoch, toEpoch, newPid, leaseMs, resumeMs };
  }

  /** finsentry_alerter_leader as each live process reports it. */
  async leaderGauges(): Promise<{ pid: number; leader: number | null }[]> {
    return Promise.all(
      this.alive().map(async (p) => {
        try {
          const text = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
          const m = /^finsentry_alerter_leader (\S+)$/m.exec(text);
          return { pid: p.pid!, leader: m ? Number(m[1]) : null };
        } catch {
          return { pid: p.pid!, leader: null };
        }
      }),
    );
  }

  outputs(): string {
    return this.procs.map((p) => `--- alerter #${p.n} pid ${p.pid}\n${p.output().slice(-4000)}`).join("\n");
  }

  async close(): Promise<void> {
    await Promise.all(this.alive().map((p) => stopProcess(p)));
    await this.bus.close();
    await this.db.close();
    await this.dropDb();
  }
}
