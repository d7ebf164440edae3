/**
 * Why the cluster refused an operation, as typed data. The cluster speaks no HTTP: the Worker
 * turns each refusal into a problem (status, title, detail, headers) in one place.
 */
export type Refusal =
  | { kind: "no-cluster" }
  | { kind: "cluster-exists" }
  | { kind: "cluster-full"; maxNodes: number }
  | { kind: "join-token-expired" }
  | { kind: "unknown-token" }
  | { kind: "credential-of-another-node"; node: string }
  | { kind: "join-token-cannot-renew" }
  | { kind: "blocked"; node: string; reason: string }
  | { kind: "rate-limited"; node: string; burst: number; intervalSeconds: number; retryAfterSeconds: number }
  | { kind: "address-policy"; violation: string }
  | { kind: "lease-held"; node: string; expiresAt: number }
  /** A node's own request, but it has no live lease (it must register again). */
  | { kind: "not-registered"; node: string }
  /** An operator named a node without a live lease. */
  | { kind: "no-live-lease"; node: string }
  | { kind: "no-credential"; node: string }
  | { kind: "no-override"; node: string }
  | { kind: "no-join-token"; id: string }
  | { kind: "expiry-in-past" }
  | { kind: "ttl-bounds"; minTtlSeconds: number; defaultTtlSeconds: number; maxTtlSeconds: number };

/** The result of a cluster operation: a value, or why it was refused. */
export type Result<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

export const done = <T>(value: T): Result<T> => ({ ok: true, value });
export const refuse = (refusal: Refusal): Result<never> => ({ ok: false, refusal });
