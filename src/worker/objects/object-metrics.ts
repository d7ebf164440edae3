/**
 * One cluster object's metrics: the cluster's event counters, the node requests it refused by
 * HTTP status, how each node last read its handout, and the Prometheus exposition of all of them
 * with the core's gauges. Memory only, kept across core reloads; the object counts each outcome
 * on its way out.
 */
import { ClusterCounters, type RenewalTransport } from "../../cluster/counters.js";
import { buildInfo, clusterFamilies } from "../../cluster/metrics.js";
import type { ClusterCore, ClusterSummary } from "../../cluster/cluster-core.js";
import type { Outcome } from "../../contract/problem.js";
import { exposition } from "../../contract/prometheus.js";
import { VERSION } from "../../contract/version.js";
import type { PeersResult } from "./calls.js";
import { refusalFamilies } from "./refusal-metrics.js";
import { NodeTransports } from "./transports.js";

export class ObjectMetrics {
  readonly counters = new ClusterCounters();
  /** How each node last read its handout, for the nodes view and the renewals metric. */
  readonly transports = new NodeTransports();
  readonly #startedAt = Date.now();
  /** Refused node requests by HTTP status (401, 403, 404, 409, 429, …). */
  readonly #refusedByStatus = new Map<number, number>();

  refused<T>(outcome: Outcome<T>): Outcome<T> {
    if (!outcome.ok) this.#refusedByStatus.set(outcome.problem.status, (this.#refusedByStatus.get(outcome.problem.status) ?? 0) + 1);
    return outcome;
  }

  registered<T extends { created: boolean }>(outcome: Outcome<T>, transport: RenewalTransport): Outcome<T> {
    if (outcome.ok && !outcome.value.created) this.counters.renewed(transport);
    return this.refused(outcome);
  }

  handout(outcome: Outcome<PeersResult>): Outcome<PeersResult> {
    if (outcome.ok) this.counters.handout(outcome.value.status === 304 ? "unchanged" : "full");
    return this.refused(outcome);
  }

  /** The exposition text for `cluster`, from memory only: no storage read or write. */
  exposition(cluster: string, core: ClusterCore, summary: ClusterSummary, watchers: number): string {
    const families = clusterFamilies({
      counters: this.counters,
      state: core.metricsState(),
      degraded: summary.degraded,
      reachability: summary.reachability,
      consumerLoops: summary.consumerLoops,
      version: summary.version,
      watchers,
      startedAt: this.#startedAt,
    });
    return exposition([...families, ...refusalFamilies(this.#refusedByStatus), buildInfo(VERSION)], { cluster });
  }
}
