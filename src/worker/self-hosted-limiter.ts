/**
 * The AUTH_FAILURES binding off Cloudflare: an in-process limiter that self-hosted workerd loads
 * as a wrapped binding (scripts/directory/config.mjs), with the same `limit({ key })` →
 * `{ success }` as Cloudflare's Rate Limiting binding. It counts per key in fixed windows of
 * `period` seconds, as Cloudflare counts per location; one workerd process is one location.
 *
 * Memory is bounded: a window forgets every key when it ends, and past MAX_KEYS distinct keys in
 * one window a new key shares one overflow bucket, so a flood from many addresses cannot grow the
 * map without bound (it only makes those addresses share a limit).
 */
export const MAX_KEYS = 100_000;
const OVERFLOW_KEY = "\u0000overflow";

interface Window {
  epoch: number;
  counts: Map<string, number>;
}

export interface LimiterSettings {
  name: string;
  limit: number;
  period: number;
}

/** A limiter with Cloudflare's Rate Limiting binding's interface; `now` is for tests. */
export function makeLimiter({ limit, period }: LimiterSettings, now: () => number = Date.now) {
  let window: Window = { epoch: -1, counts: new Map() };
  return {
    async limit({ key = "" }: { key?: string } = {}): Promise<{ success: boolean }> {
      const epoch = Math.floor(now() / (period * 1000));
      if (window.epoch !== epoch) window = { epoch, counts: new Map() };
      const bucket = window.counts.has(key) || window.counts.size < MAX_KEYS ? key : OVERFLOW_KEY;
      const used = window.counts.get(bucket) ?? 0;
      if (used >= limit) return { success: false };
      window.counts.set(bucket, used + 1);
      return { success: true };
    },
  };
}

const limiters = new Map<string, ReturnType<typeof makeLimiter>>();

/**
 * workerd calls a wrapped binding's default export with its inner bindings whenever it builds an
 * env; the counts live in this module, per binding name, so they outlast any one env.
 */
export default function makeBinding(settings: LimiterSettings) {
  let limiter = limiters.get(settings.name);
  if (!limiter) limiters.set(settings.name, (limiter = makeLimiter(settings)));
  return limiter;
}
