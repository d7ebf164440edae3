// Moving a cluster: the export carries everything but secrets; an import into an empty cluster
// brings it back so that every node credential and join token keeps working; anything else is
// refused with a problem and changes nothing.
import { describe, expect, it } from "vitest";
import type { NodeList, OverrideList } from "../../src/contract/admin.js";
import type { ClusterExport } from "../../src/contract/export.js";
import { ADMIN, ADMIN_READ, addr, admin, call, createCluster, expectProblem, join, peersOf } from "./helpers.js";

async function exported(cluster: string): Promise<ClusterExport> {
  return admin<ClusterExport>("GET", `/v1/admin/clusters/${cluster}/export`);
}

describe("cluster export and import", () => {
  it("round-trips a cluster: nodes keep their credentials, join tokens keep working, overrides and audit come along", async () => {
    const joinToken = await createCluster("move");
    const a = await join("move", joinToken, "a", { addrs: [addr(1)], labels: { zone: "z1" } });
    await join("move", joinToken, "b", { addrs: [addr(2)] });
    await admin("PUT", "/v1/admin/clusters/move/overrides/seed", { action: "pin", addrs: [addr(9)], reason: "static seed" });
    await admin("PATCH", "/v1/admin/clusters/move", { defaultTtlSeconds: 90 });
    const doc = await exported("move");
    expect(doc).toMatchObject({ format: "peerdir.cluster-export", version: 1, cluster: "move", settings: { defaultTtlSeconds: 90 } });
    expect(doc.nodes.map((n) => n.id)).toEqual(["a", "b"]);
    expect(JSON.stringify(doc)).not.toContain(a.credential);
    expect(JSON.stringify(doc)).not.toContain(joinToken);
    expect(doc.audit.length).toBeGreaterThan(0);

    await admin("DELETE", "/v1/admin/clusters/move");
    const res = await call("POST", "/v1/admin/clusters/move/import", { token: ADMIN, body: doc });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await res.json()).toEqual({ cluster: "move", nodes: 2, joinTokens: 1, overrides: 1, audit: doc.audit.length });

    // The old credential works as before: no new registration.
    const peers = await peersOf("move", "a", a.credential);
    expect(peers.peers.map((p) => p.id).sort()).toEqual(["b", "seed"]);
    const renewed = await call("PUT", "/v1/clusters/move/nodes/a", { token: a.credential, body: { addrs: [addr(1)], labels: { zone: "z1" } } });
    expect(renewed.status).toBe(200);
    expect(await renewed.json()).not.toHaveProperty("credential");
    await join("move", joinToken, "c", { addrs: [addr(3)] });
    expect((await admin<NodeList>("GET", "/v1/admin/clusters/move/nodes")).nodes.map((n) => n.id).sort()).toEqual(["a", "b", "c", "seed"]);
    expect((await admin<OverrideList>("GET", "/v1/admin/clusters/move/overrides")).overrides.map((o) => o.node)).toEqual(["seed"]);
    expect((await admin<{ clusters: { name: string }[] }>("GET", "/v1/admin/clusters")).clusters.map((c) => c.name)).toContain("move");
  });

  it("refuses a cluster that has nodes (409), another cluster's document, a bad version, duplicates and malformed JSON (400)", async () => {
    const joinToken = await createCluster("busy");
    await join("busy", joinToken, "a");
    const doc = await exported("busy");
    await expectProblem(await call("POST", "/v1/admin/clusters/busy/import", { token: ADMIN, body: doc }), 409);
    await expectProblem(await call("POST", "/v1/admin/clusters/other/import", { token: ADMIN, body: doc }), 400);
    const badVersion = await expectProblem(await call("POST", "/v1/admin/clusters/fresh/import", { token: ADMIN, body: { ...doc, cluster: "fresh", version: 2 } }), 400);
    expect(badVersion.detail).toContain("unsupported export version");
    const twice = { ...doc, cluster: "fresh", nodes: [doc.nodes[0], doc.nodes[0]] };
    await expectProblem(await call("POST", "/v1/admin/clusters/fresh/import", { token: ADMIN, body: twice }), 400);
    await expectProblem(await call("POST", "/v1/admin/clusters/fresh/import", { token: ADMIN, rawBody: "{", headers: { "Content-Type": "application/json" } }), 400);
    await expectProblem(await call("POST", "/v1/admin/clusters/fresh/import", { token: ADMIN, body: { format: "something else" } }), 400);
    // Nothing was created by any refusal.
    await expectProblem(await call("GET", "/v1/admin/clusters/fresh", { token: ADMIN }), 404);
  });

  it("needs the full admin token: the read-only one may not export; strangers get 401; unknown clusters 404", async () => {
    await createCluster("guarded");
    await expectProblem(await call("GET", "/v1/admin/clusters/guarded/export", { token: ADMIN_READ }), 403);
    await expectProblem(await call("GET", "/v1/admin/clusters/guarded/export", { token: "nope" }), 401);
    await expectProblem(await call("GET", "/v1/admin/clusters/missing/export", { token: ADMIN }), 404);
  });
});
