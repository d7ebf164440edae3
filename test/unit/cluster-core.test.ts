// The directory's state machine without a runtime: a fake clock, and a store that records
// every write, so the hot paths' cost is visible (writes per renewal, SQL on a 304).
import { describe, expect, it } from "vitest";
import { ClusterCore, type DirectoryStore, EMPTY_SNAPSHOT } from "../../src/cluster/cluster-core.js";
import { adminActor, type AuditRecord } from "../../src/cluster/records.js";
import { etagMatches } from "../../src/worker/etag.js";
import { refusalProblem } from "../../src/worker/refusals.js";

/** Records which writes each operation makes; keeps the audit log so it can be read back. */
class RecordingStore implements DirectoryStore {
  writes: string[] = [];
  audit: AuditRecord[] = [];
  insertCluster() {
    this.writes.push("insertCluster");
  }
  saveVersion() {
    this.writes.push("saveVersion");
  }
  saveSettings() {
    this.writes.push("saveSettings");
  }
  insertJoinToken() {
    this.writes.push("insertJoinToken");
  }
  deleteJoinToken() {
    this.writes.push("deleteJoinToken");
  }
  saveNode() {
    this.writes.push("saveNode");
  }
  saveRenewal() {
    this.writes.push("saveRenewal");
  }
  saveBehind(_id: string, behind: boolean) {
    this.writes.push(`saveBehind(${behind})`);
  }
  saveLeaseEnd() {
    this.writes.push("saveLeaseEnd");
  }
  saveConsumerLoop() {
    this.writes.push("saveConsumerLoop");
  }
  deleteConsumerLoop() {
    this.writes.push("deleteConsumerLoop");
  }
  deleteNode() {
    this.writes.push("deleteNode");
  }
  saveNodeFact() {
    this.writes.push("saveNodeFact");
  }
  deleteNodeFact() {
    this.writes.push("deleteNodeFact");
  }
  deleteNodeFacts() {
    this.writes.push("deleteNodeFacts");
  }
  saveOverride() {
    this.writes.push("saveOverride");
  }
  deleteOverride() {
    this.writes.push("deleteOverride");
  }
  insertAudit(entry: AuditRecord) {
    this.writes.push("insertAudit");
    this.audit.push(entry);
  }
  pruneAudit(upTo: number) {
    this.writes.push("pruneAudit");
    this.audit = this.audit.filter((e) => e.seq > upTo);
  }
  readAudit(limit: number, before: number | null) {
    return this.audit
      .filter((e) => before === null || e.seq < before)
      .reverse()
      .slice(0, limit);
  }
  insertChange() {
    this.writes.push("insertChange");
  }
  pruneChanges() {
    this.writes.push("pruneChanges");
  }
  saveDegraded() {
    this.writes.push("saveDegraded");
  }
  take() {
    return this.writes.splice(0);
  }
}

const EMPTY = EMPTY_SNAPSHOT;
const T0 = 1_800_000_000_000;
const JOIN = "join-hash";

function setup(options: { maxNodes?: number } = {}) {
  const store = new RecordingStore();
  const core = new ClusterCore(store, EMPTY, { rateBurst: 1000, credentialRetentionMs: 3_600_000, random: () => 0.5 });
  const created = core.createCluster("c", T0, { id: "t1", hash: JOIN, createdAt: T0, expiresAt: null });
  if (created.ok && options.maxNodes) created.value.settings.maxNodes = options.maxNodes;
  store.take();
  const register = (node: string, now = T0, tokenHash = JOIN, addrs = [`/ip4/10.0.0.1/tcp/${node.length}`], ttlSeconds = 60) =>
    core.register({ node, tokenHash, addrs, ttlSeconds, observedIp: null, now, fresh: { credential: `cred-${node}`, hash: `hash-${node}` } });
  return { core, store, register };
}

describe("ClusterCore", () => {
  it("tells which tokens it takes away (revoked, replaced, evicted), and not renewed ones or credentials merely forgotten", () => {
    const retired: string[] = [];
    const core = new ClusterCore(new RecordingStore(), EMPTY, {
      rateBurst: 1000,
      credentialRetentionMs: 3_600_000,
      random: () => 0.5,
      onTokenRetired: (hash) => retired.push(hash),
    });
    core.createCluster("c", T0, { id: "t1", hash: JOIN, createdAt: T0, expiresAt: null });
    let n = 0;
    const fields = { addrs: ["/ip4/10.0.0.1/tcp/1"], ttlSeconds: 60, observedIp: null };
    const join = (node: string, now: number) => core.register({ ...fields, node, tokenHash: JOIN, now, fresh: { credential: "secret", hash: `h${++n}` } });
    const by = (now: number) => ({ now, actor: adminActor("ops") });
    for (const node of ["a", "b", "c", "d"]) expect(join(node, T0).ok).toBe(true);
    expect(core.register({ ...fields, node: "a", tokenHash: "h1", now: T0 + 1_000 }).ok).toBe(true);
    expect(retired).toEqual([]);
    expect(core.evict(by(T0 + 2_000), "a", "gone").ok).toBe(true);
    expect(core.revokeCredential(by(T0 + 2_000), "b").ok).toBe(true);
    expect(retired).toEqual(["h1", "h2"]);
    // c's lease ends; registering c again with the join token replaces its credential.
    core.expireDue(T0 + 120_000, { force: true });
    expect(join("c", T0 + 121_000).ok).toBe(true);
    expect(retired).toEqual(["h1", "h2", "h3"]);
    expect(core.createJoinToken(by(T0 + 122_000), { id: "t2", hash: "j2", createdAt: T0, expiresAt: null }).ok).toBe(true);
    expect(core.revokeJoinToken(by(T0 + 123_000), "t2").ok).toBe(true);
    expect(retired).toEqual(["h1", "h2", "h3", "j2"]);
    // d's credential, unused past the retention period, is forgotten without a word.
    core.expireDue(T0 + 120_000 + 3_600_000 + 1, { force: true });
    expect(core.register({ ...fields, node: "d", tokenHash: "h4", now: T0 + 120_000 + 3_600_000 + 2 }).ok).toBe(false);
    expect(retired).toEqual(["h1", "h2", "h3", "j2"]);
  });

  it("never writes a plain renewal, and moves no version", () => {
    const { core, store, register } = setup();
    register("a");
    register("b");
    expect(store.take()).toEqual(["saveNode", "saveVersion", "insertChange", "insertAudit", "saveNode", "saveVersion", "insertChange", "insertAudit"]);
    const version = core.version;
    const renewed = register("a", T0 + 20_000, "hash-a");
    expect(renewed.ok && renewed.value.created).toBe(false);
    // The first one marks the lease, once, as behind its stored expiry (a restart then gives it its grace).
    expect(store.take()).toEqual(["saveBehind(true)"]);
    register("b", T0 + 21_000, "hash-b");
    expect(store.take()).toEqual(["saveBehind(true)"]);
    register("a", T0 + 40_000, "hash-a");
    register("b", T0 + 41_000, "hash-b");
    expect(store.take()).toEqual([]);
    expect(core.version).toBe(version);
    // The lease runs from the last renewal, in memory.
    expect(core.wakeAt).toBe(T0 + 60_000);
    core.expireDue(T0 + 81_000 - 1);
    expect(core.liveCount).toBe(2);
  });

  it("writes a renewal that changes the TTL at once (the restart grace reads the stored TTL)", () => {
    const { store, register } = setup();
    register("a");
    store.take();
    register("a", T0 + 1_000, "hash-a", undefined, 120);
    expect(store.take()).toEqual(["saveRenewal"]);
  });

  it("answers a matching ETag with no store access at all", () => {
    const { core, store, register } = setup();
    register("a");
    register("b");
    store.take();
    const first = core.peers({ node: "a", tokenHash: "hash-a", now: T0 + 1 });
    expect(first.ok && first.value.body !== null).toBe(true);
    const held = first.ok ? first.value.version : -1;
    const again = core.peers({ node: "a", tokenHash: "hash-a", now: T0 + 2, holds: (version) => version === held });
    expect(again.ok && again.value.body).toBe(null);
    expect(store.take()).toEqual([]);
  });

  it("expires a lease at its expiry without an alarm, and keeps the credential for re-registration", () => {
    const { core, register } = setup();
    register("a", T0, JOIN, ["/ip4/1.1.1.1/tcp/1"], 600);
    register("b", T0, JOIN, ["/ip4/1.1.1.2/tcp/1"], 10);
    expect(core.wakeAt).toBe(T0 + 10_000);
    const before = core.peers({ node: "a", tokenHash: "hash-a", now: T0 + 9_999 });
    expect(before.ok && before.value.body !== null && JSON.parse(before.value.body).peers).toHaveLength(1);
    const after = core.peers({ node: "a", tokenHash: "hash-a", now: T0 + 10_000 });
    expect(after.ok && after.value.body !== null && JSON.parse(after.value.body).peers).toEqual([]);
    const back = register("b", T0 + 11_000, "hash-b");
    expect(back.ok && back.value.created).toBe(true);
    expect(back.ok && back.value.body.credential).toBeUndefined();
  });

  it("forgets credentials after their retention", () => {
    const { core, store, register } = setup();
    register("a", T0, JOIN, ["/ip4/1.1.1.1/tcp/1"], 10);
    core.expireDue(T0 + 10_000);
    store.take();
    expect(core.wakeAt).toBe(T0 + 10_000 + 3_600_000);
    core.expireDue(T0 + 10_000 + 3_600_000);
    expect(store.take()).toEqual(["deleteNode"]);
    expect(store.audit.map((e) => e.action)).toEqual(["cluster.create", "join-token.create", "node.join", "node.expire"]);
    expect(core.wakeAt).toBeNull();
    const stale = register("a", T0 + 4_000_000, "hash-a");
    expect(!stale.ok && refusalProblem(stale.refusal, "c").status).toBe(401);
  });

  it("is idempotent: expiring twice at the same time changes nothing the second time", () => {
    const { core, store, register } = setup();
    register("a", T0, JOIN, ["/ip4/1.1.1.1/tcp/1"], 10);
    expect(core.expireDue(T0 + 10_000)).toBe(1);
    const version = core.version;
    store.take();
    expect(core.expireDue(T0 + 10_000)).toBe(0);
    expect(store.take()).toEqual([]);
    expect(core.version).toBe(version);
  });

  it("refuses new leases beyond maxNodes with a clear conflict", () => {
    const { register } = setup({ maxNodes: 2 });
    register("a");
    register("b");
    const third = register("c");
    expect(!third.ok && refusalProblem(third.refusal, "c")).toMatchObject({ status: 409, type: "urn:peerdir:problem:cluster-full" });
  });

  it("serialises each peer once per change, not per request", () => {
    const { core, register } = setup();
    for (const id of ["a", "b", "c"]) register(id);
    const one = core.peers({ node: "a", tokenHash: "hash-a", now: T0 + 1 });
    const two = core.peers({ node: "a", tokenHash: "hash-a", now: T0 + 2 });
    expect(one.ok && two.ok && one.value.body !== null && one.value.body === two.value.body).toBe(true);
  });

  it("gives watchers of full lists one shared delta per zone, and each one exactly its own handout's changes", () => {
    const { core } = setup();
    const join = (node: string, zone: string, n: number, now = T0) =>
      core.register({
        node,
        tokenHash: JOIN,
        addrs: [`/ip4/10.0.0.${n}/tcp/1`],
        labels: { zone },
        ttlSeconds: 60,
        observedIp: null,
        now,
        fresh: { credential: `c-${node}`, hash: `h-${node}` },
      });
    const watchers = ["w1", "w2", "w3", "w4", "w5"];
    for (const [i, w] of watchers.entries()) join(w, i % 2 ? "z2" : "z1", i + 1);
    const since = core.version;
    type Entry = { id: string };
    const peersOf = (w: string) => (JSON.parse(core.watchUpdate(w, undefined, null)!.message) as { peers: Entry[] }).peers;
    const before = new Map(watchers.map((w) => [w, peersOf(w)]));
    join("x", "z1", 20, T0 + 1);
    join("y", "z2", 21, T0 + 2);
    // w1 changes its own addresses: it is among the changed ids, so it gets a delta of its own.
    core.register({ node: "w1", tokenHash: "h-w1", addrs: ["/ip4/10.0.0.99/tcp/1"], labels: { zone: "z1" }, ttlSeconds: 60, observedIp: null, now: T0 + 3 });
    const messages = new Map(watchers.map((w) => [w, core.watchUpdate(w, undefined, since)!.message]));
    for (const w of watchers) {
      const delta = JSON.parse(messages.get(w)!) as { type: string; upserts: Entry[]; removes: string[] };
      expect(delta.type).toBe("delta");
      const held = new Map(before.get(w)!.map((p) => [p.id, JSON.stringify(p)]));
      for (const id of delta.removes) held.delete(id);
      for (const p of delta.upserts) held.set(p.id, JSON.stringify(p));
      expect(held).toEqual(new Map(peersOf(w).map((p) => [p.id, JSON.stringify(p)])));
      expect(delta.upserts.map((p) => p.id)).not.toContain(w);
    }
    // w3 and w5 (z1) share one message, w2 and w4 (z2) another: their own zone's peers first.
    expect(messages.get("w3")).toBe(messages.get("w5"));
    expect(messages.get("w2")).toBe(messages.get("w4"));
    expect((JSON.parse(messages.get("w3")!) as { upserts: Entry[] }).upserts.map((p) => p.id)).toEqual(["w1", "x", "y"]);
    expect((JSON.parse(messages.get("w2")!) as { upserts: Entry[] }).upserts.map((p) => p.id)).toEqual(["y", "w1", "x"]);
    expect((JSON.parse(messages.get("w1")!) as { upserts: Entry[] }).upserts.map((p) => p.id)).toEqual(["x", "y"]);
  });
});

describe("etagMatches", () => {
  it("understands strong, weak, lists and *", () => {
    expect(etagMatches('"5"', '"5"')).toBe(true);
    expect(etagMatches('W/"5"', '"5"')).toBe(true);
    expect(etagMatches('"4", "5"', '"5"')).toBe(true);
    expect(etagMatches("*", '"5"')).toBe(true);
    expect(etagMatches('"50"', '"5"')).toBe(false);
    expect(etagMatches(null, '"5"')).toBe(false);
  });
});

describe("audit retention", () => {
  it("keeps the newest 10,000 entries, pruning in batches rather than on every write", () => {
    const { core, store, register } = setup();
    core.updateSettings({ now: T0, actor: { kind: "admin", id: "admin" } }, { minIntervalSeconds: 0 });
    for (let i = 0; i < 5_100; i++) {
      register("n", T0 + i * 10, i === 0 ? JOIN : "hash-n");
      core.leave({ node: "n", tokenHash: "hash-n", now: T0 + i * 10 + 1 });
    }
    // 3 entries (create, first join token, settings) + 5,100 joins + 5,100 leaves = 10,203; pruned every 100.
    const writes = store.take();
    expect(writes.filter((w) => w === "pruneAudit").length).toBe(2);
    expect(store.audit.length).toBeLessThanOrEqual(10_100);
    expect(store.audit.length).toBeGreaterThanOrEqual(10_000);
    expect(store.audit.at(-1)?.seq).toBe(10_203);
    const page = core.auditPage(3, null);
    expect(page.ok && page.value.entries.map((e) => e.seq)).toEqual([10_203, 10_202, 10_201]);
    expect(page.ok && page.value.next).toBe("10201");
  });
});
