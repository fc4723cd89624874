import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { startAlerter, type Alerter, type AlerterDeps } from "../alerter.ts";
import { LeadershipLost, type Fence } from "../engine/live.ts";
import { m } from "../metrics.ts";
import { PgLease } from "./lease.ts";

export interface HaAlerterDeps extends Omit<AlerterDeps, "fence"> {
  /** Lease timing (see AlerterHaConfig): ttl, renew interval, standby poll interval. */
  ha: { ttlMs: number; renewMs: number; pollMs: number };
  /** Lease name: one leader per name and database (default "alerter"). */
  leaseName?: string;
  /** This process's name in the lease row and logs (default host:pid:random). */
  holder?: string;
  /** Started each time this process becomes leader (e.g. the retention job); the function it returns stops it. */
  whileLeading?: (epoch: number) => (() => Promise<void>) | void;
}

export interface HaAlerter {
  readonly holder: string;
  isLeader(): boolean;
  /** Epoch of the lease while leading, else null. */
  epoch(): number | null;
  /** The running engine while leading. */
  current(): Alerter | null;
  /** Stops evaluating and hands the lease over at once (a standby takes over on its next poll). */
  stop(): Promise<void>;
}

interface Term {
  epoch: number;
  /** performance.now() when the last successful renewal (or the acquisition) was sent. */
  lastOk: number;
  renewing: boolean;
  timer: NodeJS.Timeout;
  starting: Promise<Alerter | null>;
  alerter: Alerter | null;
  stopExtra: (() => Promise<void>) | void;
  ending: Promise<void> | null;
}

/**
 * Runs the alerter on whichever of several processes holds the `leader_leases` row (src/ha/lease.ts says why a lease
 * and not an advisory lock). Standbys poll for an expired lease; the leader renews it, and every engine write
 * checks it (fencing), so at most one process's batches ever commit. A new leader starts from the committed
 * checkpoint (rules, windows, baselines, open alerts) and the consumer group's committed offsets; messages the old
 * leader handled but had not yet committed to Kafka come again and are recognised in `alert_items`, so nothing is
 * counted twice and no alert is lost or doubled. On PGlite (one process per data directory) the lock is trivially held.
 */
export async function startHaAlerter(deps: HaAlerterDeps): Promise<HaAlerter> {
  const { log, ha } = deps;
  const holder = deps.holder ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  m.leader.set(0);

  if (deps.db.kind === "pglite") {
    const alerter = await startAlerter(deps);
    m.leader.set(1);
    m.leaseEpoch.set(1);
    m.leadership.inc({ event: "acquired" });
    log.info({ holder, leader: true }, "alerter leading (embedded database: a single process, no lease needed)");
    const stopExtra = deps.whileLeading?.(1);
    return {
      holder,
      isLeader: () => true,
      epoch: () => 1,
      current: () => alerter,
      async stop() {
        await stopExtra?.();
        await alerter.stop();
        m.leader.set(0);
      },
    };
  }

  const lease = new PgLease(deps.db.db, {
    name: deps.leaseName ?? "alerter",
    holder,
    ttlMs: ha.ttlMs,
    // Long enough for any real batch, short enough that a partitioned leader's open transaction cannot hold the
    // lease row's lock (and so the takeover) for long.
    idleInTransactionMs: Math.max(10_000, 2 * ha.ttlMs),
    lockTimeoutMs: Math.max(200, Math.min(2_000, ha.pollMs)),
  });

  let stopped = false;
  let term: Term | null = null;
  let wake: (() => void) | null = null;
  let standbySince = performance.now();
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => ((wake = null), resolve()), ms);
      wake = () => (clearTimeout(t), (wake = null), resolve());
    });

  /** Leaves the current term: stops the engine and background work; the standby loop then competes again. */
  const endTerm = (t: Term, reason: string, how: "lost" | "released"): Promise<void> => {
    if (t.ending) return t.ending;
    t.ending = (async () => {
      clearInterval(t.timer);
      m.leader.set(0);
      m.leadership.inc({ event: how });
      if (how === "lost") log.warn({ holder, epoch: t.epoch, reason }, "alerter lost the lease: standing by");
      else log.info({ holder, epoch: t.epoch, reason }, "alerter releasing the lease");
      await Promise.resolve(t.stopExtra?.()).catch((err) => log.warn({ err }, "stopping leader-only work failed"));
      const alerter = await t.starting;
      // A fenced-out leader leaves the outbox to its successor; a releasing one flushes what it committed.
      await alerter?.stop({ flush: how === "released" }).catch((err) => log.warn({ err }, "stopping the alert engine failed"));
      if (how === "released") await lease.release(t.epoch).catch((err) => log.warn({ err }, "releasing the lease failed"));
      if (term === t) term = null;
      standbySince = performance.now();
      wake?.();
    })();
    return t.ending;
  };

  const renew = async (t: Term) => {
    if (t.ending) return;
    if (performance.now() - t.lastOk > ha.ttlMs) {
      // Silent for a whole TTL (database unreachable, or stalled): a standby may already lead.
      void endTerm(t, "could not renew the lease within its TTL", "lost");
      return;
    }
    if (t.renewing) return;
    t.renewing = true;
    const sentAt = performance.now();
    try {
      if (await lease.renew(t.epoch)) t.lastOk = sentAt;
      else void endTerm(t, "lease taken over by another alerter", "lost");
    } catch (err) {
      log.warn({ err, epoch: t.epoch }, "lease renewal failed; retrying");
    } finally {
      t.renewing = false;
    }
  };

  const lead = (epoch: number, acquiredAt: number) => {
    const fence = lease.fence(epoch);
    const t: Term = {
      epoch,
      lastOk: acquiredAt,
      renewing: false,
      timer: setInterval(() => void renew(t), ha.renewMs),
      starting: Promise.resolve(null),
      alerter: null,
      stopExtra: undefined,
      ending: null,
    };
    const fenced: Fence = async (tx) => {
      try {
        await fence(tx);
      } catch (err) {
        if (err instanceof LeadershipLost) void endTerm(t, err.message, "lost");
        throw err;
      }
    };
    term = t;
    m.leaseEpoch.set(epoch);
    log.info({ holder, epoch, standbyMs: Math.round(acquiredAt - standbySince) }, "alerter acquired the lease: leading");
    t.starting = startAlerter({ ...deps, fence: fenced }).then(
      (alerter) => {
        t.alerter = alerter;
        if (!t.ending) {
          m.leader.set(1);
          m.leadership.inc({ event: "acquired" });
          t.stopExtra = deps.whileLeading?.(epoch);
          log.info(
            { holder, epoch, startMs: Math.round(performance.now() - acquiredAt) },
            "alerter leading: engine restored from the checkpoint, consuming",
          );
        }
        return alerter;
      },
      (err) => {
        if (!(err instanceof LeadershipLost)) log.error({ err, epoch }, "alert engine failed to start as leader; releasing the lease");
        void endTerm(t, err instanceof Error ? err.message : String(err), err instanceof LeadershipLost ? "lost" : "released");
        return null;
      },
    );
  };

  const loop = async () => {
    while (!stopped) {
      if (term) {
        await nap(ha.pollMs);
        continue;
      }
      const sentAt = performance.now();
      let epoch: number | null = null;
      try {
        epoch = await lease.tryAcquire();
      } catch (err) {
        log.warn({ err }, "lease check failed; retrying");
      }
      if (stopped) {
        if (epoch !== null) await lease.release(epoch).catch(() => undefined);
        break;
      }
      if (epoch === null) await nap(ha.pollMs);
      else lead(epoch, sentAt);
    }
  };
  log.info({ holder, ttlMs: ha.ttlMs }, "alerter started: competing for the lease");
  const running = loop().catch((err) => log.error({ err }, "alerter leadership loop failed"));

  return {
    holder,
    isLeader: () => term !== null && !term.ending && term.alerter !== null,
    epoch: () => (term && !term.ending ? term.epoch : null),
    current: () => (term && !term.ending ? term.alerter : null),
    async stop() {
      stopped = true;
      wake?.();
      const t = term;
      if (t) await endTerm(t, "shutting down", "released");
      await running;
    },
  };
}
