/**
 * Timing policy: retry backoff, renewal clamping and jitter, Retry-After parsing.
 *
 * Pure functions with an injectable random source, so the bounds can be tested exactly. The
 * agent never trusts a server-supplied delay blindly: a buggy or hostile directory must not be
 * able to make thousands of agents renew in a tight loop or let their leases lapse.
 */
import { RENEW_FRACTION } from "../contract/lease-policy.js";

export const BACKOFF_MIN_MS = 1_000;
export const BACKOFF_CAP_MS = 30_000;

/** The backoff cap for a lease: 30 s, or half the TTL when that is shorter, so a retry lands inside a restarted directory's grace. */
export function backoffCapForTtl(ttlSeconds: number): number {
  return Math.max(BACKOFF_MIN_MS, Math.min(BACKOFF_CAP_MS, (ttlSeconds * 1000) / 2));
}
/** Bounds on a 429/503 Retry-After we obey: at least 1 s (no tight loop), at most 5 min. */
export const RETRY_AFTER_MIN_MS = 1_000;
export const RETRY_AFTER_MAX_MS = 300_000;

export type Random = () => number;

/**
 * Delay before retry number `attempt` (0 for the first retry) after a failure: exponential with
 * full jitter, uniform between 1 s and min(30 s, 2^(attempt+1) s). Even the first retry is
 * spread (over 1-2 s): agents that failed together must not all retry in the same millisecond.
 * The 1 s floor keeps a crowd of agents from hammering a directory that just came back.
 * `capMs` lowers the 30 s cap (see `backoffCapForTtl`).
 */
export function backoffDelayMs(attempt: number, random: Random = Math.random, capMs: number = BACKOFF_CAP_MS): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30);
  const ceiling = Math.min(Math.max(capMs, BACKOFF_MIN_MS), BACKOFF_MIN_MS * 2 ** (exponent + 1));
  return BACKOFF_MIN_MS + random() * (ceiling - BACKOFF_MIN_MS);
}

/**
 * The renewal delay in seconds the agent accepts: the server's `renewAfterSeconds` clamped to
 * [1 s, ttl/2], so at least one retry fits inside every lease. A missing or non-numeric value
 * falls back to the share of the lease the directory would name (RENEW_FRACTION).
 */
export function clampRenewAfterSeconds(renewAfterSeconds: unknown, ttlSeconds: number): number {
  const upper = Math.max(Number.isFinite(ttlSeconds) && ttlSeconds > 0 ? ttlSeconds / 2 : 0.5, 0.5);
  const lower = Math.min(1, upper);
  const wanted = typeof renewAfterSeconds === "number" && Number.isFinite(renewAfterSeconds) ? renewAfterSeconds : ttlSeconds * RENEW_FRACTION;
  return Math.min(Math.max(Number.isFinite(wanted) ? wanted : lower, lower), upper);
}

/** `value` scaled by a uniform factor in [1 - fraction, 1 + fraction]. */
export function jitter(value: number, fraction = 0.1, random: Random = Math.random): number {
  return value * (1 - fraction + 2 * fraction * random());
}

/** When to renew, in ms: clamped, jittered ±10 %, and clamped again so jitter cannot escape the bounds. */
export function renewDelayMs(renewAfterSeconds: unknown, ttlSeconds: number, random: Random = Math.random): number {
  const base = clampRenewAfterSeconds(renewAfterSeconds, ttlSeconds);
  return clampRenewAfterSeconds(jitter(base, 0.1, random), ttlSeconds) * 1000;
}

/**
 * A Retry-After header (delta-seconds or an HTTP date) as a delay in ms, bounded to
 * [1 s, 5 min]; null when absent or unparseable (the caller then backs off on its own).
 */
export function retryAfterMs(header: string | null | undefined, nowMs: number = Date.now()): number | null {
  if (header == null) return null;
  const text = header.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return null;
    ms = at - nowMs;
  }
  return Math.min(Math.max(ms, RETRY_AFTER_MIN_MS), RETRY_AFTER_MAX_MS);
}
