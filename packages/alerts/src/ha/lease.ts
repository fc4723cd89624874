import { sql } from "drizzle-orm";
import type { Db } from "@finsentry/db";
import { LeadershipLost } from "../engine/live.ts";

/*
 * Why a lease row with a fencing epoch, not a session advisory lock:
 *
 * - An advisory lock lives as long as the Postgres session that took it. A SIGKILLed leader's socket is closed by its
 *   kernel, so Postgres frees the lock at once — but a leader cut off by a network partition keeps its session (and
 *   the lock) until TCP keepalives notice, by default about two hours later, and nobody can take over meanwhile. The
 *   lock also says nothing about the *other* pooled connections the engine writes through: when the lock's
 *   connection drops, a stalled leader can still commit a batch on another one after a successor has loaded the
 *   checkpoint — a lost or doubled alert.
 * - A lease row expires on the database's own clock (`now()`), so a silent holder loses it after `ttlMs` whatever
 *   the network does, and each takeover bumps `epoch`. Every engine transaction first reads the row `FOR SHARE` and
 *   checks that its epoch is still ours (`fence`). That check is what makes it safe: a successor's takeover
 *   (an UPDATE of the row) waits for any in-flight leader transaction to commit, and once it has committed every
 *   later transaction of the old leader fails the check. A leader paused for longer than the TTL (GC, a stopped VM)
 *   therefore cannot write when it wakes, it finds out and stands down.
 * - A partitioned leader in the middle of a transaction would hold that row lock until Postgres drops its session,
 *   so fenced transactions set `idle_in_transaction_session_timeout` (the server ends a session left idle inside a
 *   transaction) and the takeover uses a `lock_timeout` to retry rather than queue forever.
 *
 * Takeover after a SIGKILL is bounded by the TTL plus one standby poll (defaults 5 s + 1 s), measured in
 * test/alerter-failover.kafka.test.ts and `npm run bench:alerter-failover`.
 */

export interface LeaseOptions {
  /** The lease's name (one row per singleton role). */
  name: string;
  /** Who we are, for logs and the row (host:pid:random). */
  holder: string;
  ttlMs: number;
  /** Server-side limit on a fenced transaction left idle (a partitioned client), in ms. */
  idleInTransactionMs: number;
  /** How long a takeover attempt waits for the row lock before trying again later. */
  lockTimeoutMs: number;
}

export interface LeaseRow {
  holder: string;
  epoch: number;
  expiresAt: Date;
  acquiredAt: Date;
}

type Row = Record<string, unknown>;
const rowsOf = (r: unknown): Row[] => (Array.isArray(r) ? (r as Row[]) : ((r as { rows?: Row[] }).rows ?? []));
const isLockTimeout = (err: unknown) => {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code === "55P03" || e?.cause?.code === "55P03";
};

/** A lease in `leader_leases` (Postgres). */
export class PgLease {
  constructor(
    private readonly db: Db,
    readonly opts: LeaseOptions,
  ) {}

  /**
   * Takes the lease when it is free or expired; returns the new epoch, or null while someone else holds it. Our own
   * unexpired lease is not re-taken: the caller lost track of it and must wait for the TTL like anyone else.
   */
  async tryAcquire(): Promise<number | null> {
    const { name, holder, ttlMs, lockTimeoutMs } = this.opts;
    try {
      return await this.db.transaction(async (tx) => {
        await tx.execute(sql.raw(`set local lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`));
        const r = await tx.execute(sql`
          insert into leader_leases (name, holder, epoch, acquired_at, renewed_at, expires_at)
          values (${name}, ${holder}, 1, now(), now(), now() + ${ttlMs} * interval '1 millisecond')
          on conflict (name) do update
             set holder = excluded.holder, epoch = leader_leases.epoch + 1, acquired_at = now(), renewed_at = now(),
                 expires_at = excluded.expires_at
           where leader_leases.expires_at <= now()
          returning epoch`);
        const row = rowsOf(r)[0];
        return row ? Number(row.epoch) : null;
      });
    } catch (err) {
      // The holder is inside a transaction right now (or stuck in one): try again on the next poll.
      if (isLockTimeout(err)) return null;
      throw err;
    }
  }

  /** Extends our lease; false when it is no longer ours (someone took it over). */
  async renew(epoch: number): Promise<boolean> {
    const { name, holder, ttlMs } = this.opts;
    // No expiry condition: if the epoch is unchanged nobody took the lease in between, so extending it is safe.
    const r = await this.db.execute(sql`
      update leader_leases set renewed_at = now(), expires_at = now() + ${ttlMs} * interval '1 millisecond'
       where name = ${name} and holder = ${holder} and epoch = ${epoch}
      returning epoch`);
    return rowsOf(r).length > 0;
  }

  /** Gives the lease up at once (graceful stop), so a standby need not wait for the TTL. */
  async release(epoch: number): Promise<void> {
    const { name, holder } = this.opts;
    await this.db.execute(
      sql`update leader_leases set expires_at = now() where name = ${name} and holder = ${holder} and epoch = ${epoch}`,
    );
  }

  /** The first statement of every write transaction made as leader: throws LeadershipLost unless `epoch` still holds. */
  fence(epoch: number): (tx: Db) => Promise<void> {
    const { name, holder, idleInTransactionMs } = this.opts;
    return async (tx) => {
      await tx.execute(sql.raw(`set local idle_in_transaction_session_timeout = ${Math.max(1, Math.round(idleInTransactionMs))}`));
      const r = await tx.execute(sql`select holder, epoch from leader_leases where name = ${name} for share`);
      const row = rowsOf(r)[0];
      if (!row || row.holder !== holder || Number(row.epoch) !== epoch) {
        throw new LeadershipLost(
          `alerter lease "${name}" epoch ${epoch} is no longer ours (now ${row ? `${String(row.holder)} epoch ${String(row.epoch)}` : "free"})`,
        );
      }
    };
  }

  /** The current row, for status and tests. */
  async current(): Promise<LeaseRow | null> {
    const r = await this.db.execute(sql`select holder, epoch, expires_at, acquired_at from leader_leases where name = ${this.opts.name}`);
    const row = rowsOf(r)[0];
    return row
      ? {
          holder: String(row.holder),
          epoch: Number(row.epoch),
          expiresAt: new Date(row.expires_at as string),
          acquiredAt: new Date(row.acquired_at as string),
        }
      : null;
  }
}
