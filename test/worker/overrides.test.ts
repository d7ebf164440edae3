// Operator overrides: pin, block, drain, lift, expiry, eviction — each one's effect on handouts,
// on the node itself, and on the version.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { NodeList, Override, OverrideList } from "../../src/contract/admin.js";
import { addr, ADMIN, admin, call, createCluster, expectProblem, join, PEER_ID_A, peersOf } from "./helpers.js";

const ids = async (cluster: string, node: string, credential: string) => (await peersOf(cluster, node, credential)).peers.map((p) => p.id);

describe("overrides", () => {
  it("pin: a static peer handed out like a live one, with no lease, listed as source pin", async () => {
    const joinToken = await createCluster("pin");
    const a = await join("pin", joinToken, "a");
    const before = await peersOf("pin", "a", a.credential);
    const seed = `/ip4/192.0.2.10/tcp/5001/p2p/${PEER_ID_A}`;
    const override = await admin<Override>("PUT", "/v1/admin/clusters/pin/overrides/seed", { action: "pin", addrs: [seed], labels: { role: "seed" }, reason: "static seed" });
    expect(override).toMatchObject({ node: "seed", action: "pin", addrs: [seed], labels: { role: "seed" }, reason: "static seed", expiresAt: null });
    const after = await peersOf("pin", "a", a.credential);
    expect(after.version).toBe(before.version + 1);
    expect(after.peers).toEqual([{ id: "seed", addrs: [seed], labels: { role: "seed" } }]);
    const view = await admin<NodeList>("GET", "/v1/admin/clusters/pin/nodes");
    expect(view.nodes.find((n) => n.id === "seed")).toMatchObject({ source: "pin", state: "active", expiresAt: null });
    expect(view.nodes.find((n) => n.id === "a")).toMatchObject({ source: "lease", state: "active" });
    // A pinned id that also holds a lease is handed out with the pinned addresses.
    const seedLease = await join("pin", joinToken, "seed", { addrs: [addr(9)] });
    expect((await peersOf("pin", "a", a.credential)).peers).toEqual([{ id: "seed", addrs: [seed], labels: { role: "seed" } }]);
    expect(await ids("pin", "seed", seedLease.credential)).toEqual(["a"]);
  });

  it("block: never handed out, its register/renew/peers get 403 with the reason, a live lease ends at once", async () => {
    const joinToken = await createCluster("block");
    const a = await join("block", joinToken, "a");
    const bad = await join("block", joinToken, "bad", { addrs: [addr(2)] });
    expect(await ids("block", "a", a.credential)).toEqual(["bad"]);
    await admin("PUT", "/v1/admin/clusters/block/overrides/bad", { action: "block", reason: "compromised host" });
    expect(await ids("block", "a", a.credential)).toEqual([]);
    for (const res of [
      await call("PUT", "/v1/clusters/block/nodes/bad", { token: bad.credential, body: { addrs: [addr(2)] } }),
      await call("PUT", "/v1/clusters/block/nodes/bad", { token: joinToken, body: { addrs: [addr(2)] } }),
      await call("GET", "/v1/clusters/block/nodes/bad/peers", { token: bad.credential }),
    ]) {
      const problem = await expectProblem(res, 403);
      // The type and reason are what clients act on; the detail is for people.
      expect(problem).toMatchObject({ type: "urn:peerdir:problem:blocked", reason: "compromised host" });
      expect(problem.detail).toContain("compromised host");
    }
    const view = await admin<NodeList>("GET", "/v1/admin/clusters/block/nodes");
    expect(view.nodes.find((n) => n.id === "bad")).toMatchObject({ state: "blocked", expiresAt: null });
    // Blocking an id that never registered keeps it out too.
    await admin("PUT", "/v1/admin/clusters/block/overrides/never", { action: "block", reason: "reserved" });
    await expectProblem(await call("PUT", "/v1/clusters/block/nodes/never", { token: joinToken, body: { addrs: [addr(3)] } }), 403);
    // Lifted: it may come back.
    await admin("DELETE", "/v1/admin/clusters/block/overrides/bad");
    expect((await call("PUT", "/v1/clusters/block/nodes/bad", { token: bad.credential, body: { addrs: [addr(2)] } })).status).toBe(201);
    expect(await ids("block", "a", a.credential)).toEqual(["bad"]);
  });

  it("drain: keeps its lease and still receives peers, but is not handed out to others", async () => {
    const joinToken = await createCluster("drain");
    const a = await join("drain", joinToken, "a");
    const d = await join("drain", joinToken, "d", { addrs: [addr(2)] });
    await admin("PUT", "/v1/admin/clusters/drain/overrides/d", { action: "drain", reason: "kernel upgrade" });
    expect(await ids("drain", "a", a.credential)).toEqual([]);
    expect(await ids("drain", "d", d.credential)).toEqual(["a"]);
    expect((await call("PUT", "/v1/clusters/drain/nodes/d", { token: d.credential, body: { addrs: [addr(2)] } })).status).toBe(200);
    const view = await admin<NodeList>("GET", "/v1/admin/clusters/drain/nodes");
    expect(view.nodes.find((n) => n.id === "d")).toMatchObject({ state: "draining", source: "lease" });
    expect((await admin<OverrideList>("GET", "/v1/admin/clusters/drain/overrides")).overrides.map((o) => [o.node, o.action])).toEqual([["d", "drain"]]);
    await admin("DELETE", "/v1/admin/clusters/drain/overrides/d");
    expect(await ids("drain", "a", a.credential)).toEqual(["d"]);
    await expectProblem(await call("DELETE", "/v1/admin/clusters/drain/overrides/d", { token: ADMIN }), 404);
  });

  it("lifts an override by itself when its expiresAt passes", async () => {
    const joinToken = await createCluster("ovexp");
    const a = await join("ovexp", joinToken, "a", { addrs: [addr(1)], ttlSeconds: 3600 });
    await join("ovexp", joinToken, "d", { addrs: [addr(2)], ttlSeconds: 3600 });
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    await admin("PUT", "/v1/admin/clusters/ovexp/overrides/d", { action: "drain", reason: "short", expiresAt });
    const stub = env.CLUSTER.getByName("ovexp");
    expect(await runInDurableObject(stub, (_i, s) => s.storage.getAlarm())).toBe(Date.parse(expiresAt));
    expect(await ids("ovexp", "a", a.credential)).toEqual([]);
    await runInDurableObject(stub, (_i, s) => s.storage.sql.exec("UPDATE overrides SET expires_at = ?", Date.now() - 1));
    await evictDurableObject(stub);
    await runDurableObjectAlarm(stub);
    expect(await ids("ovexp", "a", a.credential)).toEqual(["d"]);
    expect((await admin<OverrideList>("GET", "/v1/admin/clusters/ovexp/overrides")).overrides).toEqual([]);
  });

  it("refuses an expiresAt in the past, and a pin without addrs", async () => {
    await createCluster("ovbad");
    const past = await expectProblem(
      await call("PUT", "/v1/admin/clusters/ovbad/overrides/x", { token: ADMIN, body: { action: "drain", reason: "r", expiresAt: "2001-01-01T00:00:00Z" } }),
      400,
    );
    expect(past.errors?.map((e) => e.pointer)).toContain("/expiresAt");
    const noAddrs = await expectProblem(await call("PUT", "/v1/admin/clusters/ovbad/overrides/x", { token: ADMIN, body: { action: "pin", reason: "r" } }), 400);
    expect(noAddrs.errors?.map((e) => e.pointer)).toContain("/addrs");
    const noReason = await expectProblem(await call("PUT", "/v1/admin/clusters/ovbad/overrides/x", { token: ADMIN, body: { action: "block", reason: "  " } }), 400);
    expect(noReason.errors?.map((e) => e.pointer)).toContain("/reason");
    await expectProblem(await call("PUT", "/v1/admin/clusters/ovbad/overrides/x", { token: ADMIN, body: { action: "explode", reason: "r" } }), 400);
  });

  it("evict: the lease ends now, the credential is retired, the join token may register the id again", async () => {
    const joinToken = await createCluster("evict-node");
    const a = await join("evict-node", joinToken, "a");
    const b = await join("evict-node", joinToken, "b", { addrs: [addr(2)] });
    await admin("POST", "/v1/admin/clusters/evict-node/nodes/b/evict", { reason: "hardware fault" });
    expect(await ids("evict-node", "a", a.credential)).toEqual([]);
    await expectProblem(await call("PUT", "/v1/clusters/evict-node/nodes/b", { token: b.credential, body: { addrs: [addr(2)] } }), 401);
    await join("evict-node", joinToken, "b", { addrs: [addr(2)] });
    expect(await ids("evict-node", "a", a.credential)).toEqual(["b"]);
    await expectProblem(await call("POST", "/v1/admin/clusters/evict-node/nodes/nobody/evict", { token: ADMIN, body: { reason: "x" } }), 404);
  });

  it("evicting a blocked-then-lifted node leaves it free to join", async () => {
    const joinToken = await createCluster("evict-block");
    await join("evict-block", joinToken, "x");
    await admin("POST", "/v1/admin/clusters/evict-block/nodes/x/evict", { reason: "r" });
    await admin("PUT", "/v1/admin/clusters/evict-block/overrides/x", { action: "block", reason: "stay out" });
    await expectProblem(await call("PUT", "/v1/clusters/evict-block/nodes/x", { token: joinToken, body: { addrs: [addr(1)] } }), 403);
    await admin("DELETE", "/v1/admin/clusters/evict-block/overrides/x");
    await join("evict-block", joinToken, "x");
  });
});
