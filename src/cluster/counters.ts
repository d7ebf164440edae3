/**
 * A cluster's event counters for its metrics: joins, leaves, expiries, evictions, renewals by
 * transport, and handouts answered in full or as unchanged. Memory only: a counter
 * bump is an integer add, never a storage write, so the hot paths cost the same with metrics
 * as without. They start at zero when the object starts, as Prometheus counters may (a reset
 * is read as one by `rate()`).
 */

export type RenewalTransport = "watch" | "long-poll" | "poll" | "unknown";

/** Audit actions that are membership events, and the counter each one bumps. */
const MEMBERSHIP: Record<string, "joins" | "leaves" | "expiries" | "evictions"> = {
  "node.join": "joins",
  "node.leave": "leaves",
  "node.expire": "expiries",
  "node.evict": "evictions",
  "node.credential-revoke": "evictions",
};

export class ClusterCounters {
  joins = 0;
  leaves = 0;
  expiries = 0;
  evictions = 0;
  readonly renewals: Record<RenewalTransport, number> = { watch: 0, "long-poll": 0, poll: 0, unknown: 0 };
  handouts = 0;
  /** Handouts answered as unchanged since the version the node holds: no body sent. */
  unchanged = 0;

  /** Every audited event passes here (the core's `onAudit`); membership events are counted. */
  audited(action: string): void {
    const counter = MEMBERSHIP[action];
    if (counter) this[counter]++;
  }

  renewed(transport: RenewalTransport): void {
    this.renewals[transport]++;
  }

  handout(answer: "full" | "unchanged"): void {
    if (answer === "unchanged") this.unchanged++;
    this.handouts++;
  }
}
