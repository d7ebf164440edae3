// Node facts: readiness and reachability evidence written only when they change, and taken
// back by a restarted core. A runtime-free core on the in-memory store, restarted from its
// snapshot as the Durable Object is from SQLite.
import { describe, expect, it } from "vitest";
import { ClusterCore, EMPTY_SNAPSHOT } from "../../src/cluster/cluster-core.js";
import { NodeFacts, type NodeFactRecord } from "../../src/cluster/node-facts.js";
import { FAILED_REPORTERS_STORED, OK_REPORTERS_STORED } from "../../src/cluster/reach-facts.js";
import { MemoryStore } from "../support/memory-store.js";

const T0 = 1_800_000_000_000;
const JOIN = "join-hash";
const OPTIONS = { rateBurst: 1000, credentialRetentionMs: 3_600_000, random: () => 0.5 };
const addrOf = (node: string) => [`/ip4/127.0.0.${node.charCodeAt(0) % 200}/tcp/4001`];

/** Counts the fact rows the store is asked to write. */
class CountingStore extends MemoryStore {
  factWrites = 0;
  override saveNodeFact(f: NodeFactRecord) {
    this.factWrites++;
    super.saveNodeFact(f);
  }
  override deleteNodeFact(node: string, name: string) {
    this.factWrites++;
    super.deleteNodeFact(node, name);
  }
  override deleteNodeFacts(node: string) {
    this.factWrites++;
    super.deleteNodeFacts(node);
  }
}

function cluster(nodes: string[]) {
  const store = new CountingStore();
  let core = new ClusterCore(store, EMPTY_SNAPSHOT, OPTIONS);
  core.createCluster("c", T0, { id: "t1", hash: JOIN, createdAt: T0, expiresAt: null });
  const renew = (node: string, now: number, extra: { ready?: boolean; reports?: Record<string, { result: "ok" | "failed" | "unknown"; ageSeconds: number }> } = {}) => {
    const r = core.register({ node, tokenHash: `hash-${node}`, addrs: addrOf(node), ttlSeconds: 600, observedIp: null, now, ...extra });
    if (!r.ok) throw new Error(`renew ${node}: ${r.refusal.kind}`);
  };
  for (const node of nodes)
    core.register({ node, tokenHash: JOIN, addrs: addrOf(node), ttlSeconds: 600, observedIp: null, now: T0, fresh: { credential: `c-${node}`, hash: `hash-${node}` } });
  return {
    store,
    renew,
    core: () => core,
    restart: () => {
      core = new ClusterCore(store, store.snapshot(), OPTIONS, { loadedAt: T0 + 60_000 });
    },
    view: (id: string) => {
      const nodes = core.nodesView();
      if (!nodes.ok) throw new Error("no cluster");
      return nodes.value.find((n) => n.id === id)!;
    },
    order: (id: string) => {
      const body = core.handoutPreview(id, undefined, T0 + 61_000);
      if (!body.ok) throw new Error("no handout");
      return (JSON.parse(body.value) as { peers: { id: string; ready?: boolean; reachability?: string }[] }).peers;
    },
  };
}

describe("NodeFacts", () => {
  it("writes a row only when a value changes, and none for a default never stored", () => {
    const store = new CountingStore();
    const facts = new NodeFacts(store, []);
    expect(facts.set("a", "ready", "false", 1)).toBe(true);
    expect(facts.set("a", "ready", "false", 2)).toBe(false);
    expect(facts.get("a", "ready")).toEqual({ value: "false", at: 1 });
    expect(facts.delete("b", "ready")).toBe(false);
    facts.forget("b");
    expect(store.factWrites).toBe(1);
    facts.set("a", "x", "1", 3);
    facts.forget("a");
    expect(store.factWrites).toBe(3);
    expect(facts.size).toBe(0);
    expect(new NodeFacts(store, store.snapshot().facts).size).toBe(0);
  });
});

describe("readiness and reachability outlast a restart", () => {
  it("a not-ready node stays not ready, and the flip back is one more row", () => {
    const c = cluster(["a", "b", "c"]);
    c.store.factWrites = 0;
    c.renew("a", T0 + 1_000, { ready: false });
    expect(c.store.factWrites).toBe(1);
    // The agent says so on every renewal while it holds: nothing more is written.
    for (let i = 2; i < 20; i++) c.renew("a", T0 + i * 1_000, { ready: false });
    expect(c.store.factWrites).toBe(1);
    c.restart();
    expect(c.view("a").ready).toBe(false);
    expect(c.order("b").at(-1)).toMatchObject({ id: "a", ready: false });
    c.renew("a", T0 + 62_000, { ready: true });
    expect(c.store.factWrites).toBe(2);
    c.restart();
    expect(c.view("a").ready).toBe(true);
  });

  it("two failed reporters keep a node unreachable; repeated results write nothing", () => {
    const c = cluster(["a", "b", "c", "d"]);
    c.store.factWrites = 0;
    c.renew("b", T0 + 1_000, { reports: { a: { result: "failed", ageSeconds: 0 }, c: { result: "ok", ageSeconds: 0 } } });
    c.renew("c", T0 + 1_000, { reports: { a: { result: "failed", ageSeconds: 0 }, b: { result: "ok", ageSeconds: 0 } } });
    const written = c.store.factWrites;
    expect(written).toBe(4);
    // The same results again (an agent's new socket restates them all): no row.
    for (let i = 2; i < 10; i++) {
      c.renew("b", T0 + i * 1_000, { reports: { a: { result: "failed", ageSeconds: 0 }, c: { result: "ok", ageSeconds: 0 } } });
      c.renew("c", T0 + i * 1_000, { reports: { a: { result: "failed", ageSeconds: 0 }, b: { result: "ok", ageSeconds: 0 } } });
    }
    expect(c.store.factWrites).toBe(written);
    expect(c.view("a").reachability).toMatchObject({ state: "unreachable", failedReporters: 2 });
    c.restart();
    expect(c.view("a").reachability).toMatchObject({ state: "unreachable", failedReporters: 2 });
    expect(c.view("c").reachability.state).toBe("reachable");
    expect(c.order("d").at(-1)).toMatchObject({ id: "a", reachability: "unreachable" });
    const summary = c.core().summary();
    expect(summary.ok && summary.value.reachability.unreachable).toBe(1);
    // A flip is a row: b reaches a again, which clears c's older failure too.
    c.renew("b", T0 + 70_000, { reports: { a: { result: "ok", ageSeconds: 0 } } });
    expect(c.store.factWrites).toBe(written + 2);
    c.restart();
    expect(c.view("a").reachability.state).toBe("reachable");
  });

  it("stores a bounded number of ok reporters per peer", () => {
    const nodes = ["a", "b", "c", "d", "e", "f"];
    const c = cluster(nodes);
    for (const r of nodes.slice(1)) c.renew(r, T0 + 1_000, { reports: { a: { result: "ok", ageSeconds: 0 } } });
    expect(c.store.snapshot().facts.filter((f) => f.node === "a")).toHaveLength(OK_REPORTERS_STORED);
    expect(c.view("a").reachability.okReporters).toBe(5);
    c.restart();
    expect(c.view("a").reachability).toMatchObject({ state: "reachable", okReporters: OK_REPORTERS_STORED });
  });

  it("stores a bounded number of failed reporters: more saying the same write nothing", () => {
    const nodes = ["a", "b", "c", "d", "e", "f", "g"];
    const c = cluster(nodes);
    c.store.factWrites = 0;
    for (const r of nodes.slice(1)) c.renew(r, T0 + 1_000, { reports: { a: { result: "failed", ageSeconds: 0 } } });
    expect(c.store.factWrites).toBe(FAILED_REPORTERS_STORED);
    expect(c.view("a").reachability).toMatchObject({ state: "unreachable", failedReporters: 6 });
    c.restart();
    expect(c.view("a").reachability).toMatchObject({ state: "unreachable", failedReporters: FAILED_REPORTERS_STORED });
    // The stored ones restating, after the restart: nothing written.
    for (const r of nodes.slice(1)) c.renew(r, T0 + 70_000, { reports: { a: { result: "failed", ageSeconds: 0 } } });
    expect(c.store.factWrites).toBe(FAILED_REPORTERS_STORED);
  });

  it("past the memory's cap of reporters, the stored ones stay: a restatement by many writes nothing", () => {
    const reporters = Array.from({ length: 40 }, (_, i) => `r${i}`);
    const c = cluster(["a", ...reporters]);
    for (const r of reporters) c.renew(r, T0 + 1_000, { reports: { a: { result: "failed", ageSeconds: 0 } } });
    c.restart();
    c.store.factWrites = 0;
    // The stored reporters come back last: by then more than the cap have restated.
    const stored = new Set(c.store.snapshot().facts.map((f) => f.name.slice("reach:".length)));
    expect(stored.size).toBe(FAILED_REPORTERS_STORED);
    const order = [...reporters.filter((r) => !stored.has(r)), ...stored];
    for (const r of order) c.renew(r, T0 + 70_000, { reports: { a: { result: "failed", ageSeconds: 0 } } });
    expect(c.store.factWrites).toBe(0);
    expect(c.view("a").reachability).toMatchObject({ state: "unreachable", failedReporters: 32 });
  });

  it("a node's facts go with its lease", () => {
    const c = cluster(["a", "b", "c"]);
    c.renew("a", T0 + 1_000, { ready: false });
    c.renew("b", T0 + 1_000, { reports: { a: { result: "failed", ageSeconds: 0 } } });
    expect(c.store.snapshot().facts.filter((f) => f.node === "a")).toHaveLength(2);
    const left = c.core().leave({ node: "a", tokenHash: "hash-a", now: T0 + 2_000 });
    expect(left.ok).toBe(true);
    expect(c.store.snapshot().facts.filter((f) => f.node === "a")).toHaveLength(0);
  });
});
