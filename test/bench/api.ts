/**
 * npm run bench:api — API latency on a realistically sized Postgres: 1,000,000 scored items with entity mentions
 * (30 days, a few thousand entities, Zipf-skewed) and a few thousand alerts with their events, loaded in bulk with
 * `insert … select generate_series`. Then the real API server (every route plugin apps/api wires, an admin API key)
 * on an ephemeral port, measured with real HTTP requests: p50/p99 latency (one request at a time) and req/s
 * (`--concurrency` at a time) for the alert list and the entity time series, against baselines measured in the same
 * process: GET /healthz (HTTP + `select 1`), GET /api/v1/auth/me (HTTP + API-key auth) and the route's raw SQL.
 *
 *   npm run bench:api [-- --keep] [-- --reuse] [-- --items 200000] [-- --seconds 5] [-- --explain] [-- --vacuum]
 *
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) names the server; the bench creates its own
 * scratch database (`--db`, default finsentry_bench_api) and drops it at the end unless --keep. --reuse keeps and
 * reuses a database loaded by an earlier --keep run with the same --items. --vacuum runs VACUUM (ANALYZE) after the
 * load: every page all-visible, as autovacuum leaves older rows, so covering indexes give index-only scans; without
 * it every row is as fresh as the last few hours of a live table (until autovacuum gets to it).
 */
import os from "node:os";
import { parseArgs } from "node:util";
import pg from "pg";
import { MemoryBus } from "@finsentry/bus";
import { createLogger } from "@finsentry/core";
import { openDb } from "@finsentry/db";
import { TOPIC_LABELS } from "@finsentry/schemas";
import { apiRoutePlugins, buildServer, createApiKey, ENTITY_SERIES_SQL } from "@finsentry/server";

const { values: args } = parseArgs({
  options: {
    keep: { type: "boolean", default: false },
    reuse: { type: "boolean", default: false },
    explain: { type: "boolean", default: false },
    vacuum: { type: "boolean", default: false },
    db: { type: "string", default: "finsentry_bench_api" },
    items: { type: "string", default: "1000000" },
    entities: { type: "string", default: "5000" },
    alerts: { type: "string", default: "3000" },
    seconds: { type: "string", default: "5" },
    concurrency: { type: "string", default: "8" },
  },
  strict: true,
});

function intArg(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in [${min}, ${max}], got '${v}'`);
  return n;
}
const N_ITEMS = intArg("items", args.items!, 10_000, 50_000_000);
const N_ENTITIES = intArg("entities", args.entities!, 100, 1_000_000);
const N_ALERTS = intArg("alerts", args.alerts!, 500, 1_000_000);
const SECONDS = intArg("seconds", args.seconds!, 1, 600);
const CONCURRENCY = intArg("concurrency", args.concurrency!, 1, 256);
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(args.db!)) throw new Error(`--db must be a plain lower-case identifier, got '${args.db}'`);
const DB_NAME = args.db!;
const BASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
if (!/^postgres(ql)?:\/\//.test(BASE_URL))
  throw new Error(`DATABASE_URL must be a postgres:// URL (this bench needs real Postgres), got '${BASE_URL}'`);
const DAYS = 30;
const CHUNK = 50_000;
const RULES = ["bearish-sentiment-level", "bearish-day", "sentiment-drop", "negative-volume-spike", "watched-topics", "earnings-watch"];

const dbUrl = (name: string) => {
  const u = new URL(BASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
};
const fmt = (n: number) => n.toLocaleString("en-US");
const log = createLogger("bench", "warn");

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: BASE_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** True when --reuse finds a database an earlier run loaded with the same sizes. */
async function prepareDatabase(): Promise<boolean> {
  const exists = await withAdmin(async (c) => (await c.query("select 1 from pg_database where datname = $1", [DB_NAME])).rowCount === 1);
  if (exists && args.reuse) {
    const c = new pg.Client({ connectionString: dbUrl(DB_NAME) });
    await c.connect();
    const marker = await c.query("select value from bench_meta where key = 'sizes'").catch(() => ({ rows: [] as { value: string }[] }));
    await c.end();
    if (marker.rows[0]?.value === `${N_ITEMS}/${N_ENTITIES}/${N_ALERTS}`) return true;
    console.log(`  --reuse: ${DB_NAME} holds other sizes or an unfinished load; loading again`);
  }
  await withAdmin(async (c) => {
    await c.query(`drop database if exists ${DB_NAME} with (force)`);
    await c.query(`create database ${DB_NAME}`);
  });
  return false;
}

function progress(what: string, done: number, total: number, t0: number) {
  const pct = Math.round((done / total) * 100);
  const bar = "#".repeat(Math.round(pct / 4)).padEnd(25, ".");
  process.stdout.write(
    `\r  ${what.padEnd(9)} [${bar}] ${fmt(done).padStart(11)} / ${fmt(total)}  ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  if (done >= total) process.stdout.write("\n");
}

/**
 * Every value is a hash of the row number (bench_u), so a load is the same on every run. Entity ranks follow Zipf
 * (s≈1: rank = ⌊E^u⌋), so rank 1 is a hot ticker with ~8% of all mentions and ranks in the thousands are quiet.
 */
async function load(c: pg.PoolClient, end: Date) {
  await c.query("set synchronous_commit = off");
  await c.query(`create or replace function bench_u(g bigint, salt int) returns float8 language sql immutable parallel safe as
    $$ select (hashint8(g * 16 + salt)::bigint + 2147483648) / 4294967296.0 $$`);
  await c.query(`create or replace function bench_entity(k bigint) returns text language sql immutable parallel safe as
    $$ select case when k % 2 = 1 then 'TICKER:T' || k else 'ORG:org' || k end $$`);
  await c.query(`create or replace function bench_rank(u float8, n int) returns bigint language sql immutable parallel safe as
    $$ select least(n, greatest(1, floor(exp(u * ln(n + 1)))))::bigint $$`);
  const params = { end: end.toISOString(), days: DAYS, topics: [...TOPIC_LABELS], entities: N_ENTITIES };
  const t0 = performance.now();
  for (let lo = 1; lo <= N_ITEMS; lo += CHUNK) {
    const hi = Math.min(N_ITEMS, lo + CHUNK - 1);
    await c.query("begin");
    await c.query(
      `insert into items (id, source, stream, published_at, ingested_at, text, url)
       select md5('bench' || g), case when g % 3 = 0 then 'social' else 'news' end, case when g % 3 = 0 then 'social' else 'news' end,
              $3::timestamptz - bench_u(g, 0) * ($4 || ' days')::interval,
              $3::timestamptz - bench_u(g, 0) * ($4 || ' days')::interval + interval '2 seconds',
              'Bench headline ' || g || ': ' || bench_entity(bench_rank(bench_u(g, 1), $5)) || ' shares move as the company updates guidance for the quarter',
              case when g % 3 = 0 then null else 'https://news.example/' || g end
         from generate_series($1::bigint, $2::bigint) g`,
      [lo, hi, params.end, params.days, params.entities],
    );
    await c.query(
      `insert into scores (item_id, model_version, sentiment, sentiment_score, confidence, topic, topic_index, topic_confidence, output, scored_at)
       select id, 'bench-v1', s, sc, conf, ($3::text[])[ti + 1], ti, tc,
              jsonb_build_object('sentiment', jsonb_build_object('label', s, 'score', sc, 'confidence', conf), 'topic', jsonb_build_object('label', ($3::text[])[ti + 1], 'confidence', tc)),
              now()
         from (select md5('bench' || g) as id,
                      case when bench_u(g, 3) < 0.25 then 'bearish' when bench_u(g, 3) < 0.7 then 'neutral' else 'bullish' end as s,
                      case when bench_u(g, 3) < 0.25 then -(0.3 + 0.7 * bench_u(g, 4)) when bench_u(g, 3) < 0.7 then (bench_u(g, 4) - 0.5) * 0.4 else 0.3 + 0.7 * bench_u(g, 4) end as sc,
                      0.5 + 0.5 * bench_u(g, 5) as conf, floor(bench_u(g, 6) * 20)::int as ti, 0.4 + 0.6 * bench_u(g, 7) as tc
                 from generate_series($1::bigint, $2::bigint) g) x`,
      [lo, hi, params.topics],
    );
    // One mention per item, a second one for half of them; each carries a copy of its item's score, as persistScored writes it.
    await c.query(
      `insert into entity_mentions (item_id, start, "end", entity_key, type, text, published_at, sentiment, sentiment_score, confidence, topic, model_version, scored_at)
       select s.item_id, m * 40, m * 40 + 8, e, split_part(e, ':', 1), split_part(e, ':', 2), $3::timestamptz - bench_u(g, 0) * ($4 || ' days')::interval,
              s.sentiment, s.sentiment_score, s.confidence, s.topic, s.model_version, s.scored_at
         from generate_series($1::bigint, $2::bigint) g
         join scores s on s.item_id = md5('bench' || g)
         cross join lateral (values (0, bench_entity(bench_rank(bench_u(g, 1), $5))), (1, bench_entity(bench_rank(bench_u(g, 2), $5)))) v(m, e)
        where m = 0 or bench_u(g, 8) < 0.5`,
      [lo, hi, params.end, params.days, params.entities],
    );
    await c.query("commit");
    progress("items", hi, N_ITEMS, t0);
  }

  // Open alerts (firing/acknowledged) on distinct entities, as the one-open-per-(rule, entity) index demands.
  const open = Math.floor(N_ALERTS / 10);
  await c.query(
    `insert into alerts (id, rule_id, rule_version, rule_name, rule_type, entity_key, severity, state, title, summary, figures, fire_figures,
                         evidence_item_ids, fired_at, updated_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by, resolve_reason, last_event_seq)
     select 'al_' || lpad(g::text, 7, '0'), r, 1, initcap(replace(r, '-', ' ')), case when r like '%volume%' then 'negative_volume_spike' when r like '%watch%' then 'watched_topics' else 'sentiment_level' end,
            e, sev, st, initcap(replace(r, '-', ' ')) || ' on ' || e, 'weighted sentiment ' || round((-bench_u(g, 12))::numeric, 2) || ' over the window',
            jsonb_build_object('mean', -bench_u(g, 12), 'n', 5 + floor(bench_u(g, 13) * 50)), jsonb_build_object('mean', -bench_u(g, 12), 'n', 5 + floor(bench_u(g, 13) * 50)),
            jsonb_build_array(md5('bench' || (1 + floor(bench_u(g, 14) * $1))), md5('bench' || (1 + floor(bench_u(g, 15) * $1)))),
            fired, fired + interval '10 minutes',
            case when acked then fired + interval '5 minutes' end, case when acked then 'analyst' end,
            case when st = 'resolved' then fired + interval '2 hours' end, case when st = 'resolved' then 'engine' end, case when st = 'resolved' then 'condition cleared' end,
            case when st = 'firing' then 1 when st = 'acknowledged' then 2 when acked then 3 else 2 end
       from (select *, st = 'acknowledged' or (st = 'resolved' and bench_u(g, 16) < 0.7) as acked from (select g, ($5::text[])[1 + g % 6] as r,
                    case when g <= $3 then bench_entity(g) else bench_entity(bench_rank(bench_u(g, 10), $4)) end as e,
                    case when bench_u(g, 11) < 0.6 then 'info' when bench_u(g, 11) < 0.9 then 'warning' else 'critical' end as sev,
                    case when g <= $3 / 2 then 'firing' when g <= $3 then 'acknowledged' else 'resolved' end as st,
                    $6::timestamptz - bench_u(g, 17) * (case when g <= $3 then interval '2 days' else ($7 || ' days')::interval end) as fired
               from generate_series(1, $2::int) g) x) y`,
    [N_ITEMS, N_ALERTS, open, N_ENTITIES, RULES, params.end, DAYS],
  );
  // Their history: fired, then acknowledged (when it was), then resolved — seq as last_event_seq says.
  await c.query(
    `insert into alert_events (id, alert_id, seq, type, state, actor, note, at, payload, published)
     select a.id || ':' || s, a.id, s,
            case when s = 1 then 'fired' when s = a.last_event_seq and a.state = 'resolved' then 'resolved' else 'acknowledged' end,
            case when s = 1 then 'firing' when s = a.last_event_seq and a.state = 'resolved' then 'resolved' else 'acknowledged' end,
            case when s = 1 then 'engine' when s = a.last_event_seq and a.state = 'resolved' then 'engine' else 'analyst' end,
            null, a.fired_at + (s - 1) * interval '5 minutes', jsonb_build_object('alert_id', a.id, 'seq', s), true
       from alerts a cross join lateral generate_series(1, a.last_event_seq) s`,
  );
  progress("alerts", N_ALERTS, N_ALERTS, t0);
  process.stdout.write("  analyze …");
  await c.query("analyze");
  process.stdout.write(" done\n");
  await c.query("create table bench_meta (key text primary key, value text not null)");
  await c.query("insert into bench_meta values ('sizes', $1), ('end', $2)", [`${N_ITEMS}/${N_ENTITIES}/${N_ALERTS}`, params.end]);
}

interface Result {
  name: string;
  n: number;
  p50: number;
  p99: number;
  rps: number;
  rows: string;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** Latency one request at a time (time-boxed, after a warm-up), then req/s with CONCURRENCY requests in flight. */
async function measure(name: string, once: () => Promise<string>): Promise<Result> {
  let rows = "";
  for (let i = 0; i < 5; i++) rows = await once();
  const lat: number[] = [];
  const stop = performance.now() + SECONDS * 1000;
  // At least 20 samples even for a slow route, so its p99 is not one unlucky request.
  while ((performance.now() < stop || lat.length < 20) && lat.length < 2000) {
    const t = performance.now();
    await once();
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  let done = 0;
  const t0 = performance.now();
  const until = t0 + Math.max(1, SECONDS / 2) * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        await once();
        done++;
      }
    }),
  );
  const r = { name, n: lat.length, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), rps: done / ((performance.now() - t0) / 1000), rows };
  console.log(
    `  ${name.padEnd(44)} p50 ${r.p50.toFixed(2).padStart(8)} ms  p99 ${r.p99.toFixed(2).padStart(8)} ms  ${r.rps.toFixed(0).padStart(6)} req/s  (${r.n} timed, ${rows})`,
  );
  return r;
}

async function main() {
  const started = performance.now();
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  console.log(
    `\n  bench:api — ${fmt(N_ITEMS)} items, ${fmt(N_ENTITIES)} entities, ${fmt(N_ALERTS)} alerts in ${DB_NAME}\n  machine: ${machine}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}\n`,
  );
  const reused = await prepareDatabase();
  // openDb runs the migrations, so the schema is exactly the one the API runs on.
  const db = await openDb(dbUrl(DB_NAME));
  const raw = new pg.Pool({ connectionString: dbUrl(DB_NAME), max: 10 });
  let server: Awaited<ReturnType<typeof buildServer>> | null = null;
  try {
    if (reused) console.log(`  --reuse: ${DB_NAME} already holds this load`);
    else {
      const c = await raw.connect();
      try {
        await load(c, new Date(Math.floor(Date.now() / 60_000) * 60_000));
      } finally {
        c.release();
      }
    }
    if (args.vacuum) {
      const t = performance.now();
      await raw.query("vacuum (analyze)");
      console.log(`  vacuum (analyze): ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const pgVersion = ((await raw.query("show server_version")).rows[0] as { server_version: string }).server_version;
    const end = new Date(((await raw.query("select value from bench_meta where key = 'end'")).rows[0] as { value: string }).value);
    const counts = (
      await raw.query(`select (select count(*) from items)::int as items, (select count(*) from entity_mentions)::int as mentions,
                                            (select count(*) from alerts)::int as alerts, (select count(*) from alert_events)::int as events`)
    ).rows[0] as Record<string, number>;
    console.log(
      `  stored: ${fmt(counts.items!)} items (+ scores), ${fmt(counts.mentions!)} entity mentions, ${fmt(counts.alerts!)} alerts, ${fmt(counts.events!)} alert events; Postgres ${pgVersion}`,
    );

    // Hot = the top entity; cold = one with a few dozen mentions in the 30 days.
    const hot = (
      await raw.query("select entity_key, count(*)::int as n from entity_mentions where entity_key = $1 group by 1", ["TICKER:T1"])
    ).rows[0] as { entity_key: string; n: number };
    const cold = (
      await raw.query(
        `select entity_key, n from (select entity_key, count(*)::int as n from entity_mentions where entity_key in (select 'TICKER:T' || k from generate_series(3001, 4999, 2) k) group by 1) x
        order by abs(n - 40), entity_key limit 1`,
      )
    ).rows[0] as { entity_key: string; n: number };
    console.log(
      `  hot entity ${hot.entity_key}: ${fmt(hot.n)} mentions; cold entity ${cold.entity_key}: ${fmt(cold.n)} mentions (30 days)\n`,
    );

    const bus = new MemoryBus();
    server = await buildServer({
      db,
      log,
      plugins: apiRoutePlugins({ db, bus, log }),
    });
    const base = await server.listen(0, "127.0.0.1");
    const key = (await createApiKey(db.db, { name: "bench", role: "admin", createdBy: "bench" })).key;
    const headers = { authorization: `Bearer ${key}` };
    const get = (path: string, count: (j: Record<string, unknown>) => string) => async () => {
      const r = await fetch(base + path, { headers });
      if (r.status !== 200) throw new Error(`GET ${path} → ${r.status} ${await r.text()}`);
      return count((await r.json()) as Record<string, unknown>);
    };
    const sql = (text: string, params: unknown[]) => async () => `${(await raw.query(text, params)).rowCount} rows`;
    const len = (k: string) => (j: Record<string, unknown>) => `${(j[k] as unknown[]).length} ${k}`;

    console.log("  baselines");
    const healthz = await measure(
      "GET /healthz (HTTP + select 1)",
      get("/healthz", () => "ok"),
    );
    const me = await measure(
      "GET /api/v1/auth/me (HTTP + key auth)",
      get("/api/v1/auth/me", () => "me"),
    );

    // The alert list: drizzle's query, written out for the raw-SQL baseline.
    const alertSql = (where: string) => `select * from alerts ${where ? `where ${where}` : ""} order by fired_at desc, id desc limit $1`;
    const page1 = (await (await fetch(`${base}/api/v1/alerts?state=resolved&rule=${RULES[1]}`, { headers })).json()) as {
      next_cursor: string;
    };
    const [curT, curId] = JSON.parse(Buffer.from(page1.next_cursor, "base64url").toString()) as [number, string];
    const alertCases: [string, string, string, unknown[]][] = [
      ["alerts (newest 50)", "/api/v1/alerts", alertSql(""), [51]],
      ["alerts ?state=open", "/api/v1/alerts?state=open", alertSql("state <> 'resolved'"), [51]],
      ["alerts ?severity=critical&limit=200", "/api/v1/alerts?severity=critical&limit=200", alertSql("severity = $2"), [201, "critical"]],
      [
        `alerts ?entity=${hot.entity_key}`,
        `/api/v1/alerts?entity=${encodeURIComponent(hot.entity_key)}`,
        alertSql("entity_key = $2"),
        [51, hot.entity_key],
      ],
      [
        "alerts ?state=resolved&rule=…&cursor (page 2)",
        `/api/v1/alerts?state=resolved&rule=${RULES[1]}&cursor=${page1.next_cursor}`,
        alertSql("state = $2 and rule_id = $3 and (fired_at < $4 or (fired_at = $4 and id < $5))"),
        [51, "resolved", RULES[1], new Date(curT), curId],
      ],
    ];
    // The series: the route's one statement (series and topic mix from entity_mentions alone). For comparison, the
    // two statements it ran before the score fields were copied into entity_mentions (each mention joined to scores).
    const oldSeriesSql = `select date_bin($4::interval, em.published_at, timestamptz '2000-01-01') as t, count(*)::int as count, avg(s.sentiment_score)::float8 as mean_sentiment,
              (sum(s.sentiment_score * s.confidence) / nullif(sum(s.confidence), 0))::float8 as weighted_sentiment, count(*) filter (where s.sentiment = 'bearish')::int as bearish
         from entity_mentions em join scores s on s.item_id = em.item_id
        where em.entity_key = $1 and em.published_at >= $2 and em.published_at < $3 group by 1 order by 1`;
    const oldTopicSql = `select s.topic, count(*)::int as n from entity_mentions em join scores s on s.item_id = em.item_id
        where em.entity_key = $1 and em.published_at >= $2 and em.published_at < $3 group by 1 order by 2 desc`;
    const to = end.toISOString();
    const seriesCases: [string, string, string, string][] = [];
    for (const e of [hot, cold]) {
      // The entity page's ranges: 24h at 5m, 7d at 1h, 30d at 1d.
      for (const [label, days, res, interval] of [
        ["24h @5m", 1, "5m", "5 minutes"],
        ["7d @1h", 7, "1h", "1 hour"],
        ["30d @1d", 30, "1d", "1 day"],
      ] as const) {
        const from = new Date(end.getTime() - days * 86_400_000).toISOString();
        seriesCases.push([
          `series ${e === hot ? "hot" : "cold"} ${label}`,
          `/api/v1/entities/${encodeURIComponent(e.entity_key)}/series?resolution=${res}&from=${from}&to=${to}`,
          e.entity_key,
          `${from}|${to}|${interval}`,
        ]);
      }
    }

    if (args.explain) {
      for (const [name, , text, params] of alertCases) console.log(`\n  EXPLAIN ${name}\n${await explain(raw, text, params)}`);
      for (const [name, , entity, range] of seriesCases) {
        const [from, until, interval] = range.split("|");
        console.log(`\n  EXPLAIN ${name}\n${await explain(raw, ENTITY_SERIES_SQL, [entity, from, until, interval])}`);
      }
      console.log("");
    }

    const rows: { http: Result; sqlR: Result; oldR?: Result }[] = [];
    console.log("  alert list");
    for (const [name, path, text, params] of alertCases) {
      const http = await measure(`GET ${name}`, get(path, len("alerts")));
      rows.push({ http, sqlR: await measure("  raw SQL", sql(text, params)) });
    }
    console.log("  entity time series");
    for (const [name, path, entity, range] of seriesCases) {
      const [from, until, interval] = range.split("|");
      const http = await measure(`GET ${name}`, get(path, len("points")));
      const sqlR = await measure("  raw SQL (series + topic mix, one pass)", sql(ENTITY_SERIES_SQL, [entity, from, until, interval]));
      const oldBoth = async () => {
        const a = await raw.query(oldSeriesSql, [entity, from, until, interval]);
        await raw.query(oldTopicSql, [entity, from, until]);
        return `${a.rowCount} points`;
      };
      rows.push({ http, sqlR, oldR: await measure("  old join SQL (series, then topic mix)", oldBoth) });
    }

    console.log(
      `\n  ${machine}; Postgres ${pgVersion}; load average now ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}`,
    );
    console.log(
      `  p50/p99: ${SECONDS} s (at least 20 requests) one at a time per row; req/s: ${CONCURRENCY} in flight for ${Math.max(1, SECONDS / 2)} s\n`,
    );
    const head = [
      "endpoint",
      "timed",
      "p50 ms",
      "p99 ms",
      "req/s",
      "raw SQL p50 ms",
      "old join SQL p50 ms",
      "p50 ÷ raw SQL",
      "p50 ÷ healthz",
      "p50 ÷ auth/me",
      "returned",
    ];
    const table = [
      [healthz.name, String(healthz.n), healthz.p50.toFixed(2), healthz.p99.toFixed(2), healthz.rps.toFixed(0), "", "", "", "1.0", "", ""],
      [
        me.name,
        String(me.n),
        me.p50.toFixed(2),
        me.p99.toFixed(2),
        me.rps.toFixed(0),
        "",
        "",
        "",
        (me.p50 / healthz.p50).toFixed(1),
        "1.0",
        "",
      ],
      ...rows.map(({ http, sqlR, oldR }) => [
        http.name,
        String(http.n),
        http.p50.toFixed(2),
        http.p99.toFixed(2),
        http.rps.toFixed(0),
        sqlR.p50.toFixed(2),
        oldR?.p50.toFixed(2) ?? "",
        (http.p50 / sqlR.p50).toFixed(1),
        (http.p50 / healthz.p50).toFixed(1),
        (http.p50 / me.p50).toFixed(1),
        http.rows,
      ]),
    ];
    console.log(`| ${head.join(" | ")} |\n| ${head.map(() => "---").join(" | ")} |`);
    for (const r of table) console.log(`| ${r.join(" | ")} |`);
    const slow = rows.filter((r) => r.http.p99 > 100).map((r) => r.http.name);
    console.log(slow.length ? `\n  p99 over 100 ms: ${slow.join(", ")} (run with --explain)` : "\n  every endpoint's p99 is under 100 ms");
    console.log(`  total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await server?.close();
    await raw.end();
    await db.close();
    if (args.keep || args.reuse) console.log(`  kept database ${DB_NAME} (drop it with: psql -c 'drop database ${DB_NAME}')`);
    else await dropDatabase();
  }
}

/** Waits for the pools' connections to be gone (a forced drop would kill them mid-close), then drops. */
async function dropDatabase() {
  await withAdmin(async (c) => {
    for (let i = 0; i < 50; i++) {
      const { rows } = await c.query("select count(*)::int as n from pg_stat_activity where datname = $1", [DB_NAME]);
      if ((rows[0] as { n: number }).n === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await c.query(`drop database if exists ${DB_NAME} with (force)`);
  });
  console.log(`  dropped database ${DB_NAME}`);
}

async function explain(pool: pg.Pool, text: string, params: unknown[]): Promise<string> {
  const r = await pool.query(`explain (analyze, buffers) ${text}`, params);
  return (r.rows as { "QUERY PLAN": string }[]).map((x) => `    ${x["QUERY PLAN"]}`).join("\n");
}

await main();
