/**
 * Coalesces concurrent requests into batches: a batch runs when `maxBatch` items are waiting or `maxWaitMs` after
 * the first one arrived; up to `maxRunning` batches run at a time, and requests that arrive meanwhile form the next
 * one. Two suit a model in a worker thread: the next batch is tokenised while the worker runs the current one.
 */
export class DynamicBatcher<In, Out> {
  private queue: { item: In; resolve: (o: Out) => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  private closed = false;

  constructor(
    private readonly runBatch: (items: In[]) => Promise<Out[]>,
    private readonly maxBatch: number,
    private readonly maxWaitMs: number,
    private readonly maxRunning = 1,
  ) {
    if (!(maxBatch >= 1)) throw new Error("maxBatch must be ≥ 1");
    if (!(maxWaitMs >= 0)) throw new Error("maxWaitMs must be ≥ 0");
    if (!(maxRunning >= 1)) throw new Error("maxRunning must be ≥ 1");
  }

  submit(items: In[]): Promise<Out[]> {
    if (this.closed) return Promise.reject(new Error("scorer is closed"));
    const ps = items.map((item) => new Promise<Out>((resolve, reject) => this.queue.push({ item, resolve, reject })));
    this.schedule();
    return Promise.all(ps);
  }

  /** Waits for queued work to finish, then refuses new work. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.queue.length > 0 || this.running > 0) {
      this.flushSoon(0);
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  private schedule(): void {
    if (this.running >= this.maxRunning) return; // a running batch's completion picks the queue up
    if (this.queue.length >= this.maxBatch) this.flushSoon(0);
    else if (!this.timer) this.flushSoon(this.maxWaitMs);
  }

  private flushSoon(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    // ms = 0 still defers to a macrotask so callers in the same tick join the batch.
    this.timer = setTimeout(() => void this.flush(), ms);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    if (this.running >= this.maxRunning || this.queue.length === 0) return;
    this.running++;
    const batch = this.queue.splice(0, this.maxBatch);
    if (this.queue.length > 0) this.schedule(); // a free slot takes the next batch now, not after this one
    try {
      const outs = await this.runBatch(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(outs[i]!));
    } catch (e) {
      for (const b of batch) b.reject(e);
    } finally {
      this.running--;
      if (this.queue.length > 0) this.flushSoon(0); // those waited through the run already
    }
  }
}
