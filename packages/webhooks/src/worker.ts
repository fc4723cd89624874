import { claimDue } from "./store.ts";
import { attemptDelivery, type DeliveryContext } from "./deliver.ts";

export interface WorkerOptions {
  concurrency: number;
  /** How often to look for due rows when idle (also how soon a scheduled retry is noticed). */
  pollMs: number;
  /** How long a claim holds; must exceed timeoutMs, or a slow attempt could be claimed twice. */
  leaseMs: number;
}

export interface Worker {
  /** Look for due rows now (e.g. right after the consumer enqueued some). */
  wake(): void;
  /** Stops claiming and waits for in-flight attempts to finish and be stored. */
  stop(): Promise<void>;
}

/** Claims due deliveries and attempts them, at most `concurrency` at a time. */
export function startWorker(ctx: DeliveryContext, opts: WorkerOptions): Worker {
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  let wakeUp: (() => void) | null = null;
  let woken = false;

  const idle = (ms: number, alsoOn: Promise<unknown>[] = []) =>
    new Promise<void>((resolve) => {
      if (woken) {
        woken = false;
        return resolve();
      }
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wakeUp = null;
        woken = false;
        resolve();
      }
      wakeUp = done;
      for (const p of alsoOn) p.then(done, done);
    });

  const loop = (async () => {
    while (!stopping) {
      const free = opts.concurrency - inFlight.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const rows = await claimDue(ctx.db, { limit: free, leaseMs: opts.leaseMs, now: ctx.now() });
          claimed = rows.length;
          for (const row of rows) {
            const p: Promise<void> = attemptDelivery(ctx, row)
              .then(() => undefined)
              .catch((err) => ctx.log.error({ err, delivery: row.id }, "webhook attempt crashed; the row is retried after its lease"))
              .finally(() => inFlight.delete(p));
            inFlight.add(p);
          }
        } catch (err) {
          ctx.log.error({ err }, "claiming webhook deliveries failed");
        }
      }
      if (stopping) break;
      // Full: wait for a slot. Claimed a full batch: there may be more. Otherwise poll.
      if (inFlight.size >= opts.concurrency) await idle(opts.pollMs, [...inFlight]);
      else if (claimed === 0 || claimed < free) await idle(opts.pollMs);
    }
  })();

  return {
    wake() {
      if (wakeUp) wakeUp();
      else woken = true;
    },
    async stop() {
      stopping = true;
      wakeUp?.();
      await loop;
      await Promise.all([...inFlight]);
    },
  };
}
