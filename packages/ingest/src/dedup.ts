/**
 * Bounded memory of recently seen ids: drops exact re-posts early. Correctness does not depend on it —
 * the scorer's upsert on item id is the real guard across restarts and replicas.
 */
export class RecentIds {
  private seen = new Set<string>();
  constructor(private capacity = 200_000) {}

  has(id: string): boolean {
    return this.seen.has(id);
  }

  add(id: string): void {
    if (this.seen.has(id)) return;
    this.seen.add(id);
    if (this.seen.size > this.capacity) {
      // Sets iterate in insertion order: evict the oldest.
      const oldest = this.seen.values().next().value as string;
      this.seen.delete(oldest);
    }
  }
}
