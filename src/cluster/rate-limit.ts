/**
 * Per-node token buckets. In memory only: a Durable Object restart refilling every bucket is
 * harmless, and persisting them would put a write on every request.
 */
import type { Refusal } from "./refusals.js";

export interface RateLimit {
  burst: number;
  perSecond: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  constructor(private limit: RateLimit) {}

  setLimit(limit: RateLimit): void {
    this.limit = limit;
  }

  /** Takes one token for `key`; returns 0 when allowed, else the seconds until one is free. */
  take(key: string, now: number): number {
    const { burst, perSecond } = this.limit;
    if (perSecond === Number.POSITIVE_INFINITY) return 0;
    const bucket = this.#buckets.get(key);
    if (!bucket) {
      this.#buckets.set(key, { tokens: burst - 1, at: now });
      return 0;
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  }

  forget(key: string): void {
    this.#buckets.delete(key);
  }
}

/** The per-node limit on node requests: `burst` at once, then one per the cluster's minIntervalSeconds. */
export class NodeRateLimits {
  readonly #buckets: TokenBuckets;
  #intervalSeconds: number;

  constructor(
    private readonly burst: number,
    intervalSeconds: number,
  ) {
    this.#intervalSeconds = intervalSeconds;
    this.#buckets = new TokenBuckets(this.#limit());
  }

  /** The cluster's minIntervalSeconds changed (0: no per-node limit). */
  setInterval(intervalSeconds: number): void {
    this.#intervalSeconds = intervalSeconds;
    this.#buckets.setLimit(this.#limit());
  }

  /** Takes one request from `node`'s allowance: null when allowed, else why not. */
  take(node: string, now: number): Refusal | null {
    const retryAfterSeconds = this.#buckets.take(node, now);
    if (retryAfterSeconds === 0) return null;
    return { kind: "rate-limited", node, burst: this.burst, intervalSeconds: this.#intervalSeconds, retryAfterSeconds };
  }

  forget(node: string): void {
    this.#buckets.forget(node);
  }

  #limit(): RateLimit {
    const interval = this.#intervalSeconds;
    return { burst: this.burst, perSecond: interval > 0 ? 1 / interval : Number.POSITIVE_INFINITY };
  }
}
