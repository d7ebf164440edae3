/**
 * A cluster's lease policy as it starts: TTL bounds, size, per-node pacing, handout size and
 * address policy. Stated once here; the cluster's settings, the schemas' descriptions, the
 * CLI's help and the agent's help and fallback all read it. Plain data: the agent and the
 * console import it at run time.
 */

export const ADDRESS_POLICIES = ["any", "observed-ip"] as const;
export type AddressPolicy = (typeof ADDRESS_POLICIES)[number];

/**
 * The handout size of a new cluster: every peer up to 65 nodes, the 64 best by rendezvous beyond.
 * Consumers use a few (spegel's HTTP bootstrapper takes the first 3; a libp2p node dials a
 * handful to join the DHT; a k3s-style endpoint list needs enough to survive failures), and
 * with a bound a change reaches about 64 watchers instead of all of them (docs/COST.md).
 * Null in a cluster's settings: a request without `limit` gets every peer.
 */
export const DEFAULT_HANDOUT_LIMIT = 64;

export const CLUSTER_DEFAULTS = {
  minTtlSeconds: 10,
  defaultTtlSeconds: 60,
  maxTtlSeconds: 3600,
  maxNodes: 10_000,
  minIntervalSeconds: 1,
  defaultLimit: DEFAULT_HANDOUT_LIMIT,
  addressPolicy: "any",
  probing: "on",
} as const satisfies {
  minTtlSeconds: number;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  maxNodes: number;
  minIntervalSeconds: number;
  defaultLimit: number | null;
  addressPolicy: AddressPolicy;
  probing: "on" | "off";
};

/** A node is told to renew after about this share of its lease, which leaves two more tries before it runs out. */
export const RENEW_FRACTION = 1 / 3;

/** The default TTL bounds as help texts say them: "10-3600 s". */
export const TTL_BOUNDS_TEXT = `${CLUSTER_DEFAULTS.minTtlSeconds}-${CLUSTER_DEFAULTS.maxTtlSeconds} s`;
