/**
 * The node requests a cluster's object refused, as Prometheus families: by HTTP status, and the
 * per-node rate limit's refusals (429) on their own, which the alert rules read. HTTP words live
 * here, in worker/, not in the cluster's own metrics.
 */
import type { Family } from "../../contract/prometheus.js";

/** The refused-requests families, from the count of refusals by HTTP status. */
export function refusalFamilies(byStatus: ReadonlyMap<number, number>): Family[] {
  const refused = [...byStatus.entries()].sort(([a], [b]) => a - b);
  return [
    {
      name: "peerdir_requests_refused_total",
      help: "Node requests the cluster's object refused, by HTTP status (429: rate-limited).",
      type: "counter",
      samples: refused.map(([status, value]) => ({ labels: { status: String(status) }, value })),
    },
    {
      name: "peerdir_requests_rate_limited_total",
      help: "Node requests refused 429 by the per-node rate limit.",
      type: "counter",
      samples: [{ value: byStatus.get(429) ?? 0 }],
    },
  ];
}
