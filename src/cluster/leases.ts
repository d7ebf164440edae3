/**
 * Lease arithmetic: TTL clamping and the renewal hint. Pure functions of their inputs.
 */
import { RENEW_FRACTION } from "../contract/lease-policy.js";

export interface TtlBounds {
  minTtlSeconds: number;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
}

/** The lease length granted for a request: the default when none is asked for, else clamped. */
export function grantTtl(requested: number | undefined, bounds: TtlBounds): number {
  const ttl = requested ?? bounds.defaultTtlSeconds;
  return Math.min(bounds.maxTtlSeconds, Math.max(bounds.minTtlSeconds, ttl));
}

/**
 * When the node should renew: about a third of the lease, jittered by ±10% so nodes that
 * registered together drift apart instead of renewing in lockstep. Leaves two more tries
 * before the lease runs out.
 */
export function renewAfterSeconds(ttlSeconds: number, random: () => number): number {
  const jitter = 0.9 + 0.2 * random();
  return Math.max(1, Math.round(ttlSeconds * RENEW_FRACTION * jitter));
}
