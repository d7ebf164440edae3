/**
 * A cluster's lease policy as it starts: TTL bounds, size, per-node pacing, handout size and
 * address policy. Stated once here; the cluster's settings, the schemas' descriptions, the
 * CLI's help and the agent's help and fallback all read it. Plain data: the agent and the
 * console import it at run time.
 */

export const ADDRESS_POLICIES = ["any", "observed-ip"] as const;
export type AddressPolicy = (typeof ADDRESS_POLICIES)[number];

export const CLUSTER_DEFAULTS = {
  minTtlSeconds: 10,
  defaultTtlSeconds: 60,
  maxTtlSeconds: 3600,
  maxNodes: 10_000,
  minIntervalSeconds: 1,
  /** Null: a request without `limit` gets every peer. */
  defaultLimit: null,
  addressPolicy: "any",
} as const satisfies {
  minTtlSeconds: number;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  maxNodes: number;
  minIntervalSeconds: number;
  defaultLimit: number | null;
  addressPolicy: AddressPolicy;
};

/** A node is told to renew after about this share of its lease, which leaves two more tries before it runs out. */
export const RENEW_FRACTION = 1 / 3;

/** The default TTL bounds as help texts say them: "10-3600 s". */
export const TTL_BOUNDS_TEXT = `${CLUSTER_DEFAULTS.minTtlSeconds}-${CLUSTER_DEFAULTS.maxTtlSeconds} s`;
