/**
 * Sign-in throttling with exponential backoff, kept per API process. Three counters of failed sign-ins:
 * - one address trying one account: a few free tries, then backoff up to 15 minutes (a password guesser);
 * - one address trying any account: more free tries, same backoff (a spray from one place);
 * - one account from anywhere: the most free tries and a short cap (1 minute), so a distributed guesser is slowed
 *   while an attacker elsewhere cannot lock the real owner out for long.
 * A success clears the pair's and the account's counters. Entries decay once unused for `decayMs`.
 */
export interface ThrottleRule {
  /** Failures allowed before backoff starts. */
  free: number;
  /** Longest wait, in ms. */
  capMs: number;
}

export interface LoginThrottleOptions {
  pair?: ThrottleRule;
  address?: ThrottleRule;
  account?: ThrottleRule;
  /** A counter untouched this long is forgotten. */
  decayMs?: number;
  /** Bound on remembered counters (oldest dropped first). */
  maxEntries?: number;
  now?: () => number;
}

interface Counter {
  failures: number;
  last: number;
  blockedUntil: number;
}

const DEFAULTS = {
  pair: { free: 5, capMs: 15 * 60_000 },
  address: { free: 20, capMs: 15 * 60_000 },
  account: { free: 10, capMs: 60_000 },
  decayMs: 15 * 60_000,
  maxEntries: 50_000,
};

export class LoginThrottle {
  private counters = new Map<string, Counter>();
  private o: Required<LoginThrottleOptions>;

  constructor(opts: LoginThrottleOptions = {}) {
    this.o = { ...DEFAULTS, now: Date.now, ...opts };
  }

  private keys(address: string, account: string): [string, ThrottleRule][] {
    return [
      [`p\u0001${address}\u0001${account}`, this.o.pair],
      [`a\u0001${address}`, this.o.address],
      [`u\u0001${account}`, this.o.account],
    ];
  }

  private get(key: string): Counter | undefined {
    const c = this.counters.get(key);
    if (c && this.o.now() - c.last > this.o.decayMs && c.blockedUntil <= this.o.now()) {
      this.counters.delete(key);
      return undefined;
    }
    return c;
  }

  /** Milliseconds the caller must wait before trying again, or 0 when a try is allowed now. */
  waitMs(address: string, account: string): number {
    const now = this.o.now();
    return Math.max(0, ...this.keys(address, account).map(([k]) => (this.get(k)?.blockedUntil ?? 0) - now));
  }

  failed(address: string, account: string): void {
    const now = this.o.now();
    for (const [k, rule] of this.keys(address, account)) {
      const c = this.get(k) ?? { failures: 0, last: now, blockedUntil: 0 };
      c.failures++;
      c.last = now;
      const over = c.failures - rule.free;
      if (over > 0) c.blockedUntil = now + Math.min(rule.capMs, 1000 * 2 ** Math.min(over - 1, 30));
      // Re-inserted so the Map's order is least-recently-failed first, for eviction.
      this.counters.delete(k);
      this.counters.set(k, c);
    }
    while (this.counters.size > this.o.maxEntries) this.counters.delete(this.counters.keys().next().value!);
  }

  succeeded(address: string, account: string): void {
    const [pair, , user] = this.keys(address, account);
    this.counters.delete(pair![0]);
    this.counters.delete(user![0]);
  }
}
