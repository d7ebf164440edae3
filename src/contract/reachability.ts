/**
 * Reachability as the directory and the agent both speak it: the states a peer can be in, and
 * the handout order they give (the one rule both sides apply, so the agent's local handouts keep
 * the directory's order).
 *
 * - `reachable`: a reporter that has this peer in its handout connected to it within the window
 *   (about 3 minutes), and too few have failed since.
 * - `unreachable`: at least two distinct reporters failed to connect and none succeeded since
 *   (one reporter suffices in a cluster of two).
 * - `unknown`: not enough evidence either way (a new peer, UDP/QUIC-only addresses, old reports).
 */
export const REACH_STATES = ["reachable", "unknown", "unreachable"] as const;
export type ReachState = (typeof REACH_STATES)[number];

/** The results an agent reports about a peer. */
export const PROBE_RESULTS = ["ok", "failed", "unknown"] as const;

/**
 * Where a peer goes in a handout: ready and reachable first, then unknown, then unreachable, and
 * not-ready nodes last; within a tier the existing stable order holds. Nothing is removed: a
 * partition can be one-sided, so a peer this directory calls unreachable may answer others.
 * The handout marks only what departs from "ready, unknown": `ready: false`, and a
 * `reachability` other than unknown.
 */
export function handoutTier(peer: { ready?: boolean; reachability?: ReachState }): number {
  if (peer.ready === false) return 3;
  return peer.reachability === "reachable" ? 0 : peer.reachability === "unreachable" ? 2 : 1;
}

/** `entries` in tier order, stable within a tier (no copy when every entry is in one tier). */
export function orderByTier<T>(entries: readonly T[], tierOf: (entry: T) => number): readonly T[] {
  let mixed = false;
  const first = entries.length ? tierOf(entries[0]!) : 0;
  for (let i = 1; i < entries.length && !mixed; i++) mixed = tierOf(entries[i]!) !== first;
  if (!mixed) return entries;
  return entries
    .map((entry, index) => ({ entry, index, tier: tierOf(entry) }))
    .sort((a, b) => a.tier - b.tier || a.index - b.index)
    .map((x) => x.entry);
}
