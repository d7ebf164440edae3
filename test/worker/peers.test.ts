// The handout: who is in it, its ETag, and the stable rendezvous subset.
import { describe, expect, it } from "vitest";
import { addr, call, createCluster, join, peersOf, type Registered } from "./helpers.js";

describe("peer handout", async () => {
  const joinToken = await createCluster("hand");
  const nodes: Registered[] = [];
  for (const id of ["c", "a", "e", "b", "d"]) nodes.push(await join("hand", joinToken, id, { addrs: [addr(id.charCodeAt(0))], labels: { zone: id } }));
  const byId = Object.fromEntries(nodes.map((n) => [n.node, n]));

  it("lists every live node but the requester, sorted by id, with an ETag", async () => {
    const res = await peersOf("hand", "c", byId.c.credential);
    expect(res.peers.map((p) => p.id)).toEqual(["a", "b", "d", "e"]);
    expect(res.peers[0]).toEqual({ id: "a", addrs: [addr(97)], labels: { zone: "a" } });
    expect(res.etag).toBe(`"${res.version}"`);
  });

  it("never contains the requester", async () => {
    for (const n of nodes) {
      const res = await peersOf("hand", n.node, n.credential);
      expect(res.peers.map((p) => p.id)).not.toContain(n.node);
      expect(res.peers).toHaveLength(4);
    }
  });

  it("answers 304 to a matching If-None-Match, also across renewals", async () => {
    const first = await peersOf("hand", "a", byId.a.credential);
    const renew = await call("PUT", "/v1/clusters/hand/nodes/b", { token: byId.b.credential, body: { addrs: [addr(98)], labels: { zone: "b" } } });
    expect(renew.status).toBe(200);
    for (const tag of [first.etag!, `W/${first.etag}`, `"0", ${first.etag}`]) {
      const res = await call("GET", "/v1/clusters/hand/nodes/a/peers", { token: byId.a.credential, headers: { "If-None-Match": tag } });
      expect(res.status).toBe(304);
      expect(res.headers.get("ETag")).toBe(first.etag);
      expect(await res.text()).toBe("");
    }
    const stale = await call("GET", "/v1/clusters/hand/nodes/a/peers", { token: byId.a.credential, headers: { "If-None-Match": '"0"' } });
    expect(stale.status).toBe(200);
  });

  it("changes the ETag when membership changes", async () => {
    const before = await peersOf("hand", "a", byId.a.credential);
    const f = await join("hand", joinToken, "f");
    const res = await call("GET", "/v1/clusters/hand/nodes/a/peers", { token: byId.a.credential, headers: { "If-None-Match": before.etag! } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { peers: { id: string }[] }).peers.map((p) => p.id)).toContain("f");
    expect((await call("DELETE", "/v1/clusters/hand/nodes/f", { token: f.credential })).status).toBe(204);
    const after = await peersOf("hand", "a", byId.a.credential);
    expect(after.peers.map((p) => p.id)).not.toContain("f");
  });

  it("answers 404 to a requester without a live lease", async () => {
    const g = await join("hand", joinToken, "g");
    expect((await call("DELETE", "/v1/clusters/hand/nodes/g", { token: g.credential })).status).toBe(204);
    expect((await call("GET", "/v1/clusters/hand/nodes/g/peers", { token: g.credential })).status).toBe(404);
  });
});

describe("limit=k: a stable rendezvous subset", async () => {
  const joinToken = await createCluster("rdv");
  const members: Registered[] = [];
  for (let i = 0; i < 24; i++) members.push(await join("rdv", joinToken, `n${String(i).padStart(2, "0")}`, { addrs: [addr(i)] }));
  const requester = members[0];
  const ids = async () => (await peersOf("rdv", requester.node, requester.credential, "?limit=5")).peers.map((p) => p.id);

  it("hands out k peers, sorted, without the requester, the same every time", async () => {
    const first = await ids();
    expect(first).toHaveLength(5);
    expect(first).toEqual([...first].sort());
    expect(first).not.toContain(requester.node);
    expect(await ids()).toEqual(first);
  });

  it("changes only the departed peer's slot when a chosen peer leaves", async () => {
    const before = await ids();
    const departed = members.find((m) => m.node === before[2])!;
    expect((await call("DELETE", `/v1/clusters/rdv/nodes/${departed.node}`, { token: departed.credential })).status).toBe(204);
    const after = await ids();
    expect(after).toHaveLength(5);
    expect(after).not.toContain(departed.node);
    expect(after.filter((id) => before.includes(id))).toEqual(before.filter((id) => id !== departed.node));
  });

  it("keeps the subset when a node it did not choose leaves", async () => {
    const before = await ids();
    const bystander = members.find((m) => m !== requester && !before.includes(m.node) && m.node !== "n23")!;
    expect((await call("DELETE", `/v1/clusters/rdv/nodes/${bystander.node}`, { token: bystander.credential })).status).toBe(204);
    expect(await ids()).toEqual(before);
  });

  it("gives different requesters different subsets (load spreads)", async () => {
    const subsets = new Set<string>();
    for (const m of members.slice(1, 8)) {
      const res = await call("GET", `/v1/clusters/rdv/nodes/${m.node}/peers?limit=3`, { token: m.credential });
      if (res.status === 200) subsets.add(((await res.json()) as { peers: { id: string }[] }).peers.map((p) => p.id).join(","));
    }
    expect(subsets.size).toBeGreaterThan(1);
  });
});
