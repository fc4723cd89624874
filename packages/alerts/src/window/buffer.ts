import { compareContribution, type Contribution } from "./contribution.ts";

/** Per-entity contributions sorted by event time; windows are ranges over it, so out-of-order inserts are cheap to place. */
export class EntityBuffer {
  private byEntity = new Map<string, Contribution[]>();

  get entityCount(): number {
    return this.byEntity.size;
  }

  entities(): IterableIterator<string> {
    return this.byEntity.keys();
  }

  /** Inserts in sorted position; returns false when (item, entity) is already present. */
  insert(c: Contribution): boolean {
    let list = this.byEntity.get(c.entityKey);
    if (!list) {
      list = [];
      this.byEntity.set(c.entityKey, list);
    }
    let lo = 0;
    let hi = list.length;
    // Fast path: in-order arrival appends.
    if (hi > 0 && compareContribution(list[hi - 1]!, c) < 0) lo = hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareContribution(list[mid]!, c) < 0) lo = mid + 1;
      else hi = mid;
    }
    const at = list[lo];
    if (at && at.itemId === c.itemId && at.t === c.t) return false;
    list.splice(lo, 0, c);
    return true;
  }

  /** Contributions with start ≤ t < end, in order. */
  range(entityKey: string, start: number, end: number): Contribution[] {
    const list = this.byEntity.get(entityKey);
    if (!list || list.length === 0) return [];
    const a = lowerBound(list, start);
    const b = lowerBound(list, end, a);
    return a === b ? [] : list.slice(a, b);
  }

  /** True when the entity has any contribution with start ≤ t < end. */
  hasAny(entityKey: string, start: number, end: number): boolean {
    const list = this.byEntity.get(entityKey);
    if (!list || list.length === 0) return false;
    const a = lowerBound(list, start);
    return a < list.length && list[a]!.t < end;
  }

  /** Drops contributions older than `before`; entities left empty are forgotten. */
  prune(before: number): void {
    for (const [key, list] of this.byEntity) {
      const n = lowerBound(list, before);
      if (n === list.length) this.byEntity.delete(key);
      else if (n > 0) list.splice(0, n);
    }
  }
}

function lowerBound(list: Contribution[], t: number, from = 0): number {
  let lo = from;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
