// Targeted fan-out against a full recompute: after any sequence of changes (joins, leaves,
// address and label updates, zones, readiness and reachability flips, pins, blocks, drains,
// evictions, expiry, the default limit, watchers coming and going, the index lost as after a
// wake), every watcher that applied what the passes sent it holds exactly the handout a full
// recompute gives, and no watcher was sent a message that changes nothing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClusterCore, type PassSink, type Watch } from "../../src/cluster/cluster-core.js";
import { FanOut } from "../../src/cluster/fanout.js";
import { Ranking } from "../../src/cluster/ranking.js";
import { selectPeers } from "../../src/cluster/selection.js";
import { MemoryStore } from "../support/memory-store.js";

const T0 = 1_800_000_000_000;
const JOIN = "join-hash";
const ADMIN = { kind: "admin" as const, id: "admin" };
const IDS = Array.from({ length: 24 }, (_, i) => `n${i}`);
const ZONES = ["a", "b", null] as const;
const LIMITS = [undefined, 1, 2, 3, 5] as const;
const addr = (i: number) => `/ip4/127.0.0.${i + 1}/tcp/4001`;

type Zone = (typeof ZONES)[number];
type Cmd =
  | { t: "join"; n: number; zone: Zone; addr: number }
  | { t: "update"; n: number; zone: Zone; addr: number }
  | { t: "ready"; n: number; ready: boolean }
  | { t: "report"; n: number; target: number; result: "ok" | "failed" }
  | { t: "leave"; n: number }
  | { t: "override"; n: number; action: "pin" | "block" | "drain"; zone: Zone; addr: number }
  | { t: "lift"; n: number }
  | { t: "evict"; n: number }
  | { t: "expire"; ms: number }
  | { t: "limit"; limit: number | null }
  | { t: "watch"; n: number; limit: (typeof LIMITS)[number] }
  | { t: "unwatch"; n: number }
  | { t: "pass" }
  | { t: "wake" };

const n = fc.integer({ min: 0, max: IDS.length - 1 });
const zone = fc.constantFrom(...ZONES);
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant("join" as const), n, zone, addr: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("update" as const), n, zone, addr: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("ready" as const), n, ready: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("report" as const), n, target: n, result: fc.constantFrom("ok" as const, "failed" as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("leave" as const), n }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant("override" as const), n, action: fc.constantFrom("pin" as const, "block" as const, "drain" as const), zone, addr: fc.nat(5) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("lift" as const), n }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("evict" as const), n }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("expire" as const), ms: fc.integer({ min: 1_000, max: 90_000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("limit" as const), limit: fc.constantFrom(null, 2, 3) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("watch" as const), n, limit: fc.constantFrom(...LIMITS) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("unwatch" as const), n }) },
  { weight: 4, arbitrary: fc.constant({ t: "pass" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "wake" as const }) },
);

interface Client {
  node: string;
  limit: number | undefined;
  peers: Map<string, string>;
}

/** A cluster with watchers that apply what passes send them, as an agent does. */
class Harness {
  readonly core: ClusterCore;
  now = T0;
  passed: number;
  readonly clients = new Map<string, Client>();
  readonly creds = new Map<string, string>();
  #credCount = 0;
  /** Watches sent a message that a full recompute says had nothing to be told, and the reverse. */
  readonly wrong: string[] = [];
  messages = 0;

  constructor() {
    this.core = new ClusterCore(new MemoryStore(), { ...new MemoryStore().snapshot() }, { rateBurst: 1_000_000, credentialRetentionMs: 3_600_000, random: () => 0.5 });
    this.core.createCluster("c", T0, { id: "t", hash: JOIN, createdAt: T0, expiresAt: null });
    this.core.updateSettings({ now: T0, actor: ADMIN }, { minIntervalSeconds: 0, defaultLimit: 3 });
    this.passed = this.core.version;
  }

  run(c: Cmd): void {
    const id = "n" in c ? IDS[c.n] : "";
    const now = (this.now += 10);
    const labels = (z: Zone): Record<string, string> => (z ? { zone: z } : {});
    const own = this.creds.get(id) ?? "none";
    switch (c.t) {
      case "join": {
        const hash = `h${this.#credCount++}`;
        const r = this.core.register({
          node: id,
          tokenHash: JOIN,
          addrs: [addr(c.addr)],
          labels: labels(c.zone),
          ttlSeconds: 60,
          observedIp: null,
          now,
          fresh: { credential: hash, hash },
        });
        if (r.ok) this.creds.set(id, hash);
        break;
      }
      case "update":
        this.core.register({ node: id, tokenHash: own, addrs: [addr(c.addr)], labels: labels(c.zone), ttlSeconds: 60, observedIp: null, now });
        break;
      case "ready":
      case "report": {
        const state = this.core.nodesView();
        const row = state.ok ? state.value.find((r) => r.id === id) : undefined;
        if (!row) break;
        const reports = c.t === "report" ? { [IDS[c.target]]: { result: c.result, ageSeconds: 0 } } : undefined;
        this.core.register({
          node: id,
          tokenHash: own,
          addrs: row.addrs,
          labels: row.labels,
          ttlSeconds: 60,
          observedIp: null,
          now,
          ready: c.t === "ready" ? c.ready : undefined,
          reports,
        });
        break;
      }
      case "leave":
        this.core.leave({ node: id, tokenHash: own, now });
        break;
      case "override":
        this.core.setOverride({ now, actor: ADMIN }, id, { action: c.action, addrs: [addr(c.addr)], labels: labels(c.zone), reason: "test", expiresAt: null });
        break;
      case "lift":
        this.core.liftOverride({ now, actor: ADMIN }, id);
        break;
      case "evict":
        this.core.evict({ now, actor: ADMIN }, id, "test");
        break;
      case "expire":
        this.now += c.ms;
        this.core.expireDue(this.now);
        break;
      case "limit":
        this.core.updateSettings({ now, actor: ADMIN }, { defaultLimit: c.limit });
        break;
      case "watch": {
        // A socket opens right after a pass, as the adapter's `accept` does between passes.
        this.pass();
        if ([...this.clients.values()].some((x) => x.node === id && x.limit === c.limit)) break;
        const key = this.core.watch(id, c.limit, this.core.version).key;
        this.clients.set(key, { node: id, limit: c.limit, peers: this.handout(id, c.limit) });
        break;
      }
      case "unwatch":
        for (const key of [...this.clients.keys()].filter((k) => k.startsWith(`${id}\n`))) {
          this.core.unwatch(key);
          this.clients.delete(key);
        }
        break;
      case "pass":
        this.pass();
        break;
      case "wake":
        // The index is memory only: after a wake every open socket is a watch found open again.
        this.pass();
        for (const [key, client] of this.clients) {
          this.core.unwatch(key);
          this.core.watch(client.node, client.limit, null);
        }
        break;
    }
  }

  pass(): void {
    // Who may be told something: those a full recompute of the delta (changelog.ts) finds a
    // change for. Who must be: those whose handout now differs from what they hold.
    const allowed = new Set<string>();
    const held = new Map<string, string>();
    for (const [key, client] of this.clients) {
      const update = this.core.watchUpdate(client.node, client.limit, this.passed);
      if (update && !update.empty) allowed.add(key);
      held.set(key, JSON.stringify([...client.peers].sort()));
    }
    const sent = new Set<string>();
    const flagged = new Set<string>();
    const sink: PassSink = {
      standing: () => {},
      send: (watch: Watch, message: string) => {
        const client = this.clients.get(watch.key)!;
        this.messages++;
        const m = JSON.parse(message) as { type: string; peers?: unknown[]; upserts?: { id: string }[]; removes?: string[]; degraded?: boolean };
        if (m.type === "snapshot" || m.degraded !== undefined) flagged.add(watch.key);
        sent.add(watch.key);
        if (m.type === "snapshot") client.peers = new Map(m.peers!.map((p) => [(p as { id: string }).id, JSON.stringify(p)]));
        else {
          for (const r of m.removes!) client.peers.delete(r);
          for (const u of m.upserts!) client.peers.set(u.id, JSON.stringify(u));
        }
      },
    };
    this.core.watchPass(this.passed, sink);
    this.passed = this.core.version;
    for (const [key, client] of this.clients) {
      const must = held.get(key) !== JSON.stringify([...this.handout(client.node, client.limit)].sort());
      if (must && !sent.has(key)) this.wrong.push(`${key} was not told at ${this.passed}`);
      if (sent.has(key) && !must && !allowed.has(key) && !flagged.has(key)) this.wrong.push(`${key} was told nothing at ${this.passed}`);
    }
  }

  handout(node: string, limit: number | undefined): Map<string, string> {
    // The full handout as a snapshot gives it (handoutPreview would run expiry first).
    const peers = (JSON.parse(this.core.watchUpdate(node, limit, null)!.message) as { peers: { id: string }[] }).peers;
    return new Map(peers.map((p) => [p.id, JSON.stringify(p)]));
  }

  check(): void {
    for (const [key, client] of this.clients) {
      expect([...client.peers].sort(), key).toEqual([...this.handout(client.node, client.limit)].sort());
    }
    expect(this.wrong).toEqual([]);
  }
}

describe("targeted fan-out", () => {
  it("leaves every watcher with the handout a full recompute gives, and tells exactly those whose handout changed", () => {
    const stats = { messages: 0, live: 0 };
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 40, maxLength: 160 }), (cmds) => {
        const h = new Harness();
        for (const c of cmds) {
          h.run(c);
          if (c.t === "pass") h.check();
        }
        h.pass();
        h.check();
        stats.messages += h.messages;
        stats.live = Math.max(stats.live, h.core.liveCount);
      }),
      { numRuns: 300 },
    );
    // The sequences reach clusters of some size, and passes that send.
    expect(stats.live).toBeGreaterThan(10);
    expect(stats.messages).toBeGreaterThan(1000);
  });

  it("sends a join only to the bounded watchers it enters, and a leave only to its holders", () => {
    const h = new Harness();
    h.core.updateSettings({ now: T0, actor: ADMIN }, { maxNodes: 1000 });
    const ids = Array.from({ length: 200 }, (_, i) => `p${i}`);
    for (const id of ids) h.core.register({ node: id, tokenHash: JOIN, addrs: [addr(1)], ttlSeconds: 600, observedIp: null, now: T0, fresh: { credential: id, hash: id } });
    h.pass();
    for (const id of ids) h.clients.set(h.core.watch(id, 4, h.core.version).key, { node: id, limit: 4, peers: h.handout(id, 4) });
    h.pass();
    h.messages = 0;
    h.core.register({ node: "joiner", tokenHash: JOIN, addrs: [addr(2)], ttlSeconds: 600, observedIp: null, now: T0, fresh: { credential: "j", hash: "j" } });
    h.pass();
    const entered = ids.filter((id) =>
      selectPeers(
        [...ids, "joiner"].filter((x) => x !== id).map((x) => ({ id: x, zone: null })),
        id,
        null,
        4,
      ).some((p) => p.id === "joiner"),
    );
    expect(h.messages).toBe(entered.length);
    expect(entered.length).toBeGreaterThan(0);
    expect(entered.length).toBeLessThan(20);
    h.check();
    h.messages = 0;
    h.core.leave({ node: "joiner", tokenHash: "j", now: T0 });
    h.pass();
    expect(h.messages).toBe(entered.length);
    h.check();
  });
});

describe("ranking", () => {
  it("keeps the exact top of the pool through inserts and removals, as selectPeers picks it", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 }), zone), { maxLength: 120 }), fc.integer({ min: 1, max: 6 }), zone, (ops, limit, own) => {
        const ranking = new Ranking("me", limit, own);
        const pool = new Map<string, string | null>();
        ranking.fill([]);
        for (const [add, i, z] of ops) {
          const id = `p${i}`;
          const at = ranking.indexOf(id);
          if (pool.has(id)) {
            pool.delete(id);
            if (at >= 0 && ranking.remove(at)) ranking.fill([...pool].map(([x, zz]) => ({ id: x, zone: zz })));
          }
          if (add) {
            pool.set(id, z);
            const key = ranking.keyOf({ id, zone: z });
            if (ranking.admits(key, id)) ranking.insert(id, key);
          }
          const expected = selectPeers(
            [...pool].map(([x, zz]) => ({ id: x, zone: zz })),
            "me",
            own,
            limit,
          ).map((p) => p.id);
          expect(new Set(ranking.handout())).toEqual(new Set(expected));
        }
      }),
    );
  });

  it("is plain: a FanOut without watchers finds nobody", () => {
    const fanOut = new FanOut();
    const pass = fanOut.passBounded(0, 1, new Map(), { entry: () => undefined, candidates: () => [], zoneOf: () => null });
    expect(pass.deltas.size).toBe(0);
  });
});
