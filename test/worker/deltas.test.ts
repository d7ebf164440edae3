// Deltas over HTTP: ?since=<version> gives only what changed for this node, or the full
// handout flagged `snapshot` when that history is no longer kept.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addr, admin, call, createCluster, join, peersOf } from "./helpers.js";

const get = async (cluster: string, node: string, credential: string, query: string) => {
  const res = await call("GET", `/v1/clusters/${cluster}/nodes/${node}/peers${query}`, { token: credential });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
};

describe("deltas", () => {
  it("gives upserts and removes since a version, and nothing when nothing changed", async () => {
    const joinToken = await createCluster("d1");
    const a = await join("d1", joinToken, "a");
    const b = await join("d1", joinToken, "b", { addrs: [addr(2)] });
    const base = await peersOf("d1", "a", a.credential);
    expect(await get("d1", "a", a.credential, `?since=${base.version}`)).toEqual({ version: base.version, upserts: [], removes: [] });
    await join("d1", joinToken, "c", { addrs: [addr(3)] });
    await call("PUT", "/v1/clusters/d1/nodes/b", { token: b.credential, body: { addrs: [addr(22)] } });
    await call("DELETE", "/v1/clusters/d1/nodes/b", { token: b.credential });
    const delta = await get("d1", "a", a.credential, `?since=${base.version}`);
    expect(delta).toEqual({ version: base.version + 3, upserts: [{ id: "c", addrs: [addr(3)], labels: {} }], removes: ["b"] });
    // Changes that do not touch a's handout (its own address) give an empty delta for a.
    const now = delta.version as number;
    await call("PUT", "/v1/clusters/d1/nodes/a", { token: a.credential, body: { addrs: [addr(11)] } });
    expect(await get("d1", "a", a.credential, `?since=${now}`)).toEqual({ version: now + 1, upserts: [], removes: [] });
  });

  it("covers overrides: a drained peer is removed, a pin upserted, a lifted drain upserted again", async () => {
    const joinToken = await createCluster("d2");
    const a = await join("d2", joinToken, "a");
    await join("d2", joinToken, "b", { addrs: [addr(2)] });
    const v0 = (await peersOf("d2", "a", a.credential)).version;
    await admin("PUT", "/v1/admin/clusters/d2/overrides/b", { action: "drain", reason: "r" });
    await admin("PUT", "/v1/admin/clusters/d2/overrides/seed", { action: "pin", addrs: [addr(9)], reason: "r" });
    expect(await get("d2", "a", a.credential, `?since=${v0}`)).toMatchObject({ upserts: [{ id: "seed" }], removes: ["b"] });
    const v1 = (await peersOf("d2", "a", a.credential)).version;
    await admin("DELETE", "/v1/admin/clusters/d2/overrides/b");
    expect(await get("d2", "a", a.credential, `?since=${v1}`)).toMatchObject({ upserts: [{ id: "b", addrs: [addr(2)] }], removes: [] });
  });

  it("falls back to the full handout, flagged, when since is older than what is kept or from the future", async () => {
    const joinToken = await createCluster("d3");
    const a = await join("d3", joinToken, "a");
    await join("d3", joinToken, "b", { addrs: [addr(2)] });
    const stub = env.CLUSTER.getByName("d3");
    const current = (await peersOf("d3", "a", a.credential)).version;
    await runInDurableObject(stub, (_i, s) => s.storage.sql.exec("UPDATE cluster SET changelog_floor = ?", current));
    await evictDurableObject(stub);
    expect(await get("d3", "a", a.credential, `?since=${current - 1}`)).toEqual({ snapshot: true, version: current, peers: [{ id: "b", addrs: [addr(2)], labels: {} }] });
    expect(await get("d3", "a", a.credential, `?since=${current + 5}`)).toMatchObject({ snapshot: true, version: current });
    expect(await get("d3", "a", a.credential, `?since=${current}`)).toEqual({ version: current, upserts: [], removes: [] });
  });

  it("with a changed default limit, answers with a snapshot", async () => {
    const joinToken = await createCluster("d4");
    const a = await join("d4", joinToken, "a");
    await join("d4", joinToken, "b", { addrs: [addr(2)] });
    const v = (await peersOf("d4", "a", a.credential)).version;
    await admin("PATCH", "/v1/admin/clusters/d4", { defaultLimit: 1 });
    expect(await get("d4", "a", a.credential, `?since=${v}`)).toMatchObject({ snapshot: true });
  });

  it("agrees with full handouts over a random run of changes, for limited and unlimited requesters", async () => {
    const joinToken = await createCluster("d5");
    await admin("PATCH", "/v1/admin/clusters/d5", { minIntervalSeconds: 0 });
    const me = await join("d5", joinToken, "me", { addrs: [addr(0)], labels: { zone: "z1" } });
    const creds = new Map<string, string>();
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (const limit of ["", "&limit=3"]) {
      const sep = limit ? `?${limit.slice(1)}` : "";
      let base = await get("d5", "me", me.credential, sep);
      let held = new Map((base.peers as { id: string; addrs: string[] }[]).map((p) => [p.id, JSON.stringify(p)]));
      for (let step = 0; step < 25; step++) {
        const id = `n${rand(8)}`;
        const action = rand(3);
        if (!creds.has(id)) creds.set(id, (await join("d5", joinToken, id, { addrs: [addr(rand(50))], labels: { zone: `z${rand(2) + 1}` } })).credential);
        else if (action === 0) await call("DELETE", `/v1/clusters/d5/nodes/${id}`, { token: creds.get(id)! });
        else await call("PUT", `/v1/clusters/d5/nodes/${id}`, { token: creds.get(id)!, body: { addrs: [addr(rand(50))], labels: { zone: `z${rand(2) + 1}` } } });
        const delta = await get("d5", "me", me.credential, `?since=${base.version}${limit}`);
        for (const id of delta.removes as string[]) held.delete(id);
        for (const p of delta.upserts as { id: string }[]) held.set(p.id, JSON.stringify(p));
        const full = await get("d5", "me", me.credential, sep);
        expect(new Map((full.peers as { id: string }[]).map((p) => [p.id, JSON.stringify(p)]))).toEqual(held);
        base = full;
        held = new Map((full.peers as { id: string }[]).map((p) => [p.id, JSON.stringify(p)]));
      }
    }
  });
});
