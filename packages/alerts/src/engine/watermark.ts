/**
 * Event-time watermark over input partitions: min over live partitions of their max event time, minus the allowed
 * lateness, never moving backwards. Taking the min keeps a partition that is behind (Kafka delivers partitions
 * independently) from having its items judged late because another partition ran ahead.
 */
export class Watermark {
  private parts = new Map<string, { maxT: number; seenAt: number }>();
  private value: number | null = null;
  private readonly startedAt: number;

  constructor(
    private readonly latenessMs: number,
    private readonly opts: {
      /** Partitions to wait for before the first advance (a partition not yet seen may still hold older items). */
      expectedPartitions: number;
      /** A partition silent this long (wall time) stops holding the watermark back; 0 = never. */
      idleMs: number;
      wallNow: () => number;
    },
  ) {
    this.startedAt = opts.wallNow();
  }

  get current(): number | null {
    return this.value;
  }

  get maxEventTime(): number | null {
    let max: number | null = null;
    for (const p of this.parts.values()) if (max === null || p.maxT > max) max = p.maxT;
    return max;
  }

  observe(partition: string, t: number): void {
    const now = this.opts.wallNow();
    const p = this.parts.get(partition);
    if (!p) this.parts.set(partition, { maxT: t, seenAt: now });
    else {
      if (t > p.maxT) p.maxT = t;
      p.seenAt = now;
    }
  }

  /** Recomputes from the partitions; returns the (monotonic) watermark. */
  recompute(): number | null {
    const now = this.opts.wallNow();
    const { idleMs, expectedPartitions } = this.opts;
    const waited = idleMs > 0 && now - this.startedAt >= idleMs;
    if (this.parts.size < expectedPartitions && !waited) return this.value;
    let min: number | null = null;
    for (const p of this.parts.values()) {
      if (idleMs > 0 && now - p.seenAt >= idleMs) continue;
      if (min === null || p.maxT < min) min = p.maxT;
    }
    if (min !== null) this.raiseTo(min - this.latenessMs);
    return this.value;
  }

  /** Moves the watermark forward to `t` (idle advance, end of a backtest); never back. */
  raiseTo(t: number): void {
    if (this.value === null || t > this.value) this.value = t;
  }

  toJSON(): { partitions: Record<string, number>; value: number | null } {
    return { partitions: Object.fromEntries([...this.parts].map(([k, p]) => [k, p.maxT])), value: this.value };
  }

  load(s: { partitions: Record<string, number>; value: number | null }): void {
    const now = this.opts.wallNow();
    for (const [k, maxT] of Object.entries(s.partitions)) this.parts.set(k, { maxT, seenAt: now });
    if (s.value !== null) this.raiseTo(s.value);
  }
}
