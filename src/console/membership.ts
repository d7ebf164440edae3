/**
 * Live nodes over time, reconstructed from the audit log: starting from the count now and
 * walking back through the entries, each join added one and each leave, expiry, eviction or
 * credential revocation took one away. Plain data in, points out (unit-tested without a browser).
 */

export interface MembershipEntry {
  at: string;
  action: string;
}

export interface Point {
  t: number;
  live: number;
}

const DELTA: Record<string, number> = {
  "node.join": 1,
  "node.leave": -1,
  "node.expire": -1,
  "node.evict": -1,
  "node.credential-revoke": -1,
};

/**
 * Points of a step series, oldest first, ending at `now` with `liveNow`. `entries` are newest
 * first, as the audit API pages them. A count that would go below zero (the log was pruned past
 * a join) is held at zero.
 */
export function membershipSeries(entries: readonly MembershipEntry[], liveNow: number, now: number): Point[] {
  const points: Point[] = [{ t: now, live: liveNow }];
  let live = liveNow;
  for (const entry of entries) {
    const delta = DELTA[entry.action];
    if (!delta) continue;
    const t = Date.parse(entry.at);
    points.push({ t, live });
    live = Math.max(0, live - delta);
    points.push({ t, live });
  }
  return points.reverse();
}
