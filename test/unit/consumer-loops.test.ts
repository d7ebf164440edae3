// A node's consumer-loop report in the directory's core, on a fake clock and the in-memory store:
// written only when it changes, shown in the nodes view and counted for the cluster and its
// metric, kept across a restart (rebuilt from storage), and not moving the cluster's version.
import { describe, expect, it } from "vitest";
import { ClusterCore, type CoreOptions } from "../../src/cluster/cluster-core.js";
import { ClusterCounters } from "../../src/cluster/counters.js";
import { clusterFamilies } from "../../src/cluster/metrics.js";
import { MemoryStore } from "../support/memory-store.js";

const T0 = 1_900_000_000_000;
const JOIN = "join";
const OPTIONS: CoreOptions = { rateBurst: 1000, credentialRetentionMs: 3_600_000, random: () => 0.5 };
const ADDRS = ["/ip4/127.0.0.1/tcp/1"];

function cluster(nodes: number) {
  const store = new MemoryStore();
  const core = new ClusterCore(store, store.snapshot(), OPTIONS);
  core.createCluster("c", T0, { id: "t1", hash: JOIN, createdAt: T0, expiresAt: null });
  for (let i = 0; i < nodes; i++) {
    const r = core.register({ node: `n${i}`, tokenHash: JOIN, addrs: ADDRS, observedIp: null, now: T0, fresh: { credential: `c${i}`, hash: `c${i}` } });
    expect(r.ok).toBe(true);
  }
  return { store, core };
}

const renew = (core: ClusterCore, i: number, now: number, consumers?: Parameters<ClusterCore["register"]>[0]["consumers"]) =>
  core.register({ node: `n${i}`, tokenHash: `c${i}`, addrs: ADDRS, observedIp: null, now, consumers });

const viewOf = (core: ClusterCore, id: string) => {
  const view = core.nodesView();
  if (!view.ok) throw new Error("no view");
  return view.value.find((n) => n.id === id)!;
};

const loopingMetric = (core: ClusterCore) => {
  const summary = core.summary();
  if (!summary.ok) throw new Error("no summary");
  const family = clusterFamilies({
    counters: new ClusterCounters(),
    state: core.metricsState(),
    degraded: false,
    reachability: summary.value.reachability,
    consumerLoops: summary.value.consumerLoops,
    version: 0,
    watchers: 0,
    startedAt: T0,
  }).find((f) => f.name === "peerdir_nodes_consumer_looping")!;
  return family.samples[0]!.value;
};

describe("consumer loops in the directory", () => {
  it("a run's first 'not looping' writes nothing; a loop is stored, shown, counted; its end too", () => {
    const { store, core } = cluster(3);
    expect(renew(core, 0, T0 + 1000, { looping: false, requestsPerMinute: 0, endpoint: null, sinceSeconds: 1 }).ok).toBe(true);
    expect(store.consumerLoops.size).toBe(0);
    expect(viewOf(core, "n0").consumers).toEqual({ looping: false, requestsPerMinute: 0, endpoint: null, since: null });

    const version = core.version;
    renew(core, 1, T0 + 10_000, { looping: true, requestsPerMinute: 1800, endpoint: "/id", sinceSeconds: 4 });
    expect(viewOf(core, "n1").consumers).toEqual({ looping: true, requestsPerMinute: 1800, endpoint: "/id", since: new Date(T0 + 6_000).toISOString() });
    expect(core.summary()).toMatchObject({ ok: true, value: { consumerLoops: 1 } });
    expect(loopingMetric(core)).toBe(1);
    // Handouts do not change: no version move, so no watcher hears of it.
    expect(core.version).toBe(version);

    // The same report again (a lost acknowledgement) writes nothing; a doubled peak keeps the start.
    const saved = store.consumerLoops.get("n1");
    renew(core, 1, T0 + 12_000, { looping: true, requestsPerMinute: 1800, endpoint: "/id", sinceSeconds: 6 });
    expect(store.consumerLoops.get("n1")).toEqual(saved);
    renew(core, 1, T0 + 20_000, { looping: true, requestsPerMinute: 4000, endpoint: "/id", sinceSeconds: 0 });
    expect(viewOf(core, "n1").consumers).toMatchObject({ requestsPerMinute: 4000, since: new Date(T0 + 6_000).toISOString() });

    // A restart (hibernation, eviction, deploy) rebuilds it from storage.
    const restarted = new ClusterCore(store, store.snapshot(), OPTIONS);
    expect(viewOf(restarted, "n1").consumers.looping).toBe(true);
    expect(loopingMetric(restarted)).toBe(1);

    renew(restarted, 1, T0 + 200_000, { looping: false, requestsPerMinute: 0, endpoint: "/id", sinceSeconds: 1 });
    expect(viewOf(restarted, "n1").consumers).toEqual({ looping: false, requestsPerMinute: 0, endpoint: "/id", since: new Date(T0 + 199_000).toISOString() });
    expect(loopingMetric(restarted)).toBe(0);
    expect(store.snapshot().consumerLoops).toEqual([{ node: "n1", looping: false, requestsPerMinute: 0, endpoint: "/id", since: T0 + 199_000 }]);
  });

  it("counts only live nodes, and forgets a node's state with its row", () => {
    const { store, core } = cluster(2);
    renew(core, 0, T0 + 1000, { looping: true, requestsPerMinute: 900, endpoint: "/v1-k3s/p2p", sinceSeconds: 2 });
    expect(loopingMetric(core)).toBe(1);
    expect(core.leave({ node: "n0", tokenHash: "c0", now: T0 + 2000 }).ok).toBe(true);
    expect(loopingMetric(core)).toBe(0);
    // Once the credential's retention ends the row goes, and the stored loop with it.
    core.expireDue(T0 + 2000 + OPTIONS.credentialRetentionMs + 1);
    expect(store.consumerLoops.size).toBe(0);
  });

  it("refuses a malformed report with a 400-worthy schema error, not a crash", async () => {
    const { RegisterRequest } = await import("../../src/contract/schemas.js");
    expect(RegisterRequest.safeParse({ addrs: ADDRS, consumers: { looping: true, requestsPerMinute: -1, endpoint: "/id", sinceSeconds: 0 } }).success).toBe(false);
    expect(RegisterRequest.safeParse({ addrs: ADDRS, consumers: { looping: true, requestsPerMinute: 5, endpoint: "/etc/passwd", sinceSeconds: 0 } }).success).toBe(false);
    expect(RegisterRequest.safeParse({ addrs: ADDRS, consumers: { looping: true, requestsPerMinute: 5, endpoint: "/id", sinceSeconds: 0, extra: 1 } }).success).toBe(false);
    expect(RegisterRequest.safeParse({ addrs: ADDRS, consumers: { looping: true, requestsPerMinute: 5, endpoint: "/id", sinceSeconds: 0 } }).success).toBe(true);
  });
});
