/**
 * What a cluster's `/metrics` says about the cluster, as metric families: gauges read from the
 * core's memory at scrape time (nodes, overrides, degraded, watchers) and its event counters.
 * Nothing here touches storage; the object adds the `cluster` label to every series when it
 * writes them, and the families of its refusals by HTTP status, which only it knows.
 */
import { OVERRIDE_ACTIONS, OVERRIDES, type OverrideAction } from "../contract/overrides.js";
import type { Family } from "../contract/prometheus.js";
import type { ClusterCounters } from "./counters.js";

export interface ClusterMetricsInput {
  counters: ClusterCounters;
  state: { live: number; ended: number; overrides: Record<OverrideAction, number> };
  degraded: boolean;
  /** Live nodes by the reachability state handouts show, and how many say they are not ready. */
  reachability: Record<"reachable" | "unknown" | "unreachable" | "notReady", number>;
  /** Live nodes whose agents say their local consumers ask for peers in a loop. */
  consumerLoops: number;
  version: number;
  watchers: number;
  /** When this object started counting (its counters reset then), in ms. */
  startedAt: number;
}

export function buildInfo(version: string): Family {
  return { name: "peerdir_build_info", help: "The directory's build; the value is always 1.", type: "gauge", samples: [{ labels: { version }, value: 1 }] };
}

export function clusterFamilies(m: ClusterMetricsInput): Family[] {
  const c = m.counters;
  const counter = (name: string, help: string, value: number): Family => ({ name, help, type: "counter", samples: [{ value }] });
  return [
    {
      name: "peerdir_nodes",
      help: "Nodes by lease state: live (a running lease), expired (lease ended, credential still kept for a restart), blocked (an operator's block).",
      type: "gauge",
      samples: [
        { labels: { state: "live" }, value: m.state.live },
        { labels: { state: "expired" }, value: m.state.ended },
        { labels: { state: "blocked" }, value: OVERRIDE_ACTIONS.filter((a) => OVERRIDES[a].refuses).reduce((sum, a) => sum + m.state.overrides[a], 0) },
      ],
    },
    {
      name: "peerdir_nodes_reachability",
      help: "Live nodes by what other nodes' probes say (reachable, unknown, unreachable); not_ready: live nodes whose own address does not accept connections (counted in their state too).",
      type: "gauge",
      samples: [
        ...(["reachable", "unknown", "unreachable"] as const).map((state) => ({ labels: { state }, value: m.reachability[state] })),
        { labels: { state: "not_ready" }, value: m.reachability.notReady },
      ],
    },
    {
      name: "peerdir_nodes_consumer_looping",
      help: "Live nodes whose agent says its local consumers (spegel, k3s) ask it for peers in a loop (above its --consumer-loop-threshold).",
      type: "gauge",
      samples: [{ value: m.consumerLoops }],
    },
    counter("peerdir_joins_total", "Leases started (registrations that created a lease).", c.joins),
    counter("peerdir_leaves_total", "Nodes that left (DELETE of their own lease).", c.leaves),
    counter("peerdir_expiries_total", "Leases that ran out.", c.expiries),
    counter("peerdir_evictions_total", "Leases ended by an operator (evict, credential revoke).", c.evictions),
    {
      name: "peerdir_renewals_total",
      help: "Lease renewals by how the node follows its handout (watch: over its socket; long-poll or poll: by HTTP, from its last peers request).",
      type: "counter",
      samples: (["watch", "long-poll", "poll", "unknown"] as const).map((transport) => ({ labels: { transport }, value: c.renewals[transport] })),
    },
    counter("peerdir_handouts_total", "Handout (peers) requests answered, in full or as unchanged.", c.handouts),
    counter("peerdir_handouts_not_modified_total", "Handout requests answered as unchanged since the node's version (the share of handouts_total that cost no body).", c.unchanged),
    { name: "peerdir_watchers", help: "Open watch sockets.", type: "gauge", samples: [{ value: m.watchers }] },
    { name: "peerdir_degraded", help: "1 while self-preservation holds back a mass expiry.", type: "gauge", samples: [{ value: m.degraded ? 1 : 0 }] },
    {
      name: "peerdir_overrides",
      help: "Operator overrides in force, by kind.",
      type: "gauge",
      samples: OVERRIDE_ACTIONS.map((kind) => ({ labels: { kind }, value: m.state.overrides[kind] })),
    },
    { name: "peerdir_cluster_version", help: "The cluster's version (moves on every change to any handout).", type: "gauge", samples: [{ value: m.version }] },
    {
      name: "peerdir_counters_start_time_seconds",
      help: "When this cluster's object started counting (counters reset on restart).",
      type: "gauge",
      samples: [{ value: Math.floor(m.startedAt / 1000) }],
    },
  ];
}
