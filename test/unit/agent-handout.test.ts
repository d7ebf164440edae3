import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Peer } from "../../src/contract/schemas.js";
import { buildHandouts, rendezvousOrder } from "../../src/agent/outputs/handout.js";
import { createLocalServer } from "../../src/agent/outputs/local-server.js";
import { PeerView } from "../../src/agent/peer-view.js";

const ED = "12D3KooWQYYD1DDK4HCYgXHiVaPLVBVpUMpZzDXjHZTJsU9rZPGR";
const QM = "QmYhKqgZLrFbduFUSvuWJbDCZ1TbSU8ZMTDFUNA8s7U4ca";

const peers: Peer[] = [
  { id: "a", addrs: [`/ip4/10.0.0.1/tcp/5001/p2p/${ED}`, "/ip6/fd00::1/tcp/5001"], labels: {} },
  { id: "b", addrs: ["/ip4/10.0.0.2/tcp/5001"], labels: { zone: "x" } },
  { id: "c", addrs: [`/ip4/10.0.0.3/tcp/5001/p2p/${QM}`], labels: {} },
];

describe("rendezvousOrder", () => {
  const many = Array.from({ length: 50 }, (_, i) => ({ id: `node-${i}` }));

  it("is deterministic and a permutation", () => {
    const one = rendezvousOrder("self", many);
    expect(rendezvousOrder("self", many)).toEqual(one);
    expect(one.map((p) => p.id).sort()).toEqual(many.map((p) => p.id).sort());
  });

  it("differs between requesters, so nodes do not all bootstrap off the same peer", () => {
    const firsts = new Set(Array.from({ length: 20 }, (_, i) => rendezvousOrder(`req-${i}`, many)[0]!.id));
    expect(firsts.size).toBeGreaterThan(5);
  });

  it("keeps the others in order when a peer departs", () => {
    const before = rendezvousOrder("self", many).map((p) => p.id);
    const gone = before[3]!;
    const after = rendezvousOrder(
      "self",
      many.filter((p) => p.id !== gone),
    ).map((p) => p.id);
    expect(after).toEqual(before.filter((id) => id !== gone));
  });
});

describe("buildHandouts", () => {
  const h = buildHandouts("self", peers);
  const order = rendezvousOrder("self", peers).map((p) => p.id);

  it("gives k3s only addresses that have or can get a peer id", () => {
    expect([...h.k3s].sort()).toEqual([`/ip4/10.0.0.1/tcp/5001/p2p/${ED}`, `/ip6/fd00::1/tcp/5001/p2p/${ED}`, `/ip4/10.0.0.3/tcp/5001/p2p/${QM}`].sort());
  });

  it('gives /bootstrap every peer, ID "" when unknown, in rendezvous order', () => {
    const byNode: Record<string, { ID: string; Addrs: string[] }> = {
      a: { ID: ED, Addrs: ["/ip4/10.0.0.1/tcp/5001", "/ip6/fd00::1/tcp/5001"] },
      b: { ID: "", Addrs: ["/ip4/10.0.0.2/tcp/5001"] },
      c: { ID: QM, Addrs: ["/ip4/10.0.0.3/tcp/5001"] },
    };
    expect(h.bootstrap).toEqual(order.map((id) => byNode[id]));
  });

  it("gives /id the first peer with a known id, without /p2p in Addrs", () => {
    expect(h.id).toEqual(h.bootstrap.find((i) => i.ID !== ""));
    expect(h.id!.Addrs.every((a) => !a.includes("/p2p/"))).toBe(true);
  });

  it("has no /id when no peer has a peer id", () => {
    expect(buildHandouts("self", [peers[1]!]).id).toBeNull();
    expect(buildHandouts("self", []).k3s).toEqual([]);
  });
});

describe("PeerView", () => {
  it("reports +added -removed ~updated and ignores a version bump with the same content", () => {
    const view = new PeerView("self");
    const at = new Date();
    expect(view.replace({ version: 1, peers: peers.slice(0, 2) }, at)).toEqual({ added: ["a", "b"], removed: [], updated: [] });
    expect(view.replace({ version: 2, peers: peers.slice(0, 2) }, at)).toBeNull();
    expect(view.version).toBe(2);
    const changedB = { ...peers[1]!, labels: { zone: "y" } };
    expect(view.replace({ version: 3, peers: [changedB, peers[2]!] }, at)).toEqual({ added: ["c"], removed: ["a"], updated: ["b"] });
    expect(view.syncedThisRun).toBe(true);
  });

  it("serves restored peers without counting them as synced", () => {
    const view = new PeerView("self");
    view.restore({ version: 5, peers, syncedAt: "2026-01-01T00:00:00.000Z" });
    expect(view.syncedThisRun).toBe(false);
    expect(view.handouts.k3s.length).toBe(3);
    expect(view.syncedAt?.toISOString()).toBe("2026-01-01T00:00:00.000Z");
  });
});

describe("local endpoints", () => {
  const view = new PeerView("self");
  let stale = true;
  const server = createLocalServer({ view, stale: () => stale, metrics: () => "peerdir_agent_peers 3\n" });
  let base = "";
  beforeAll(async () => {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    server.closeAllConnections();
  });

  it("answers 503 on the peer endpoints and /healthz before any peers or sync", async () => {
    for (const path of ["/v1-k3s/p2p", "/v1-rke2/p2p", "/id", "/healthz"]) {
      expect((await fetch(base + path)).status, path).toBe(503);
    }
    const boot = await fetch(`${base}/bootstrap`);
    expect(boot.status).toBe(200);
    expect(await boot.json()).toEqual([]);
  });

  it("serves k3s's JSON array with Accept: application/json, else the first one as text/plain", async () => {
    view.replace({ version: 4, peers }, new Date());
    stale = false;
    for (const path of ["/v1-k3s/p2p", "/v1-rke2/p2p"]) {
      const j = await fetch(base + path, { headers: { accept: "application/json" } });
      expect(j.headers.get("content-type")).toBe("application/json");
      expect(await j.json()).toEqual(view.handouts.k3s);
      const t = await fetch(base + path);
      expect(t.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await t.text()).toBe(view.handouts.k3s[0]);
    }
  });

  it("serves /id, /bootstrap, /peers, /healthz and /metrics", async () => {
    expect(await (await fetch(`${base}/id`)).json()).toEqual(view.handouts.id);
    expect(await (await fetch(`${base}/bootstrap`)).json()).toEqual(view.handouts.bootstrap);
    const p = (await (await fetch(`${base}/peers`)).json()) as Record<string, unknown>;
    expect(p).toMatchObject({ version: 4, peers, stale: false });
    expect(typeof p.syncedAt).toBe("string");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const m = await fetch(`${base}/metrics`);
    expect(m.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await m.text()).toBe("peerdir_agent_peers 3\n");
  });

  it("answers 404 for unknown paths and 405 with Allow for wrong methods", async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const r = await fetch(`${base}/id`, { method: "POST" });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET, HEAD");
    expect((await fetch(`${base}/id`, { method: "HEAD" })).status).toBe(200);
  });
});
