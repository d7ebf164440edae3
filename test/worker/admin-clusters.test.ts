// Admin: clusters come and go in the list; settings change what nodes get; delete removes all.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ClusterDetail, ClusterList } from "../../src/contract/admin.js";
import { addr, ADMIN, admin, call, createCluster, expectProblem, join, peersOf } from "./helpers.js";

describe("admin: clusters", () => {
  it("lists clusters correctly as they come and go", async () => {
    const empty = await admin<ClusterList>("GET", "/v1/admin/clusters");
    expect(empty.clusters).toEqual([]);
    const joinToken = await createCluster("beta");
    await createCluster("alpha");
    await join("beta", joinToken, "n1");
    await join("beta", joinToken, "n2", { addrs: [addr(2)] });
    const listed = await admin<ClusterList>("GET", "/v1/admin/clusters");
    expect(listed.clusters.map((c) => [c.name, c.nodes])).toEqual([
      ["alpha", 0],
      ["beta", 2],
    ]);
    expect(listed.clusters[1].version).toBeGreaterThan(listed.clusters[0].version);
    expect(Date.parse(listed.clusters[0].createdAt)).toBeGreaterThan(0);
    await admin("DELETE", "/v1/admin/clusters/alpha");
    expect((await admin<ClusterList>("GET", "/v1/admin/clusters")).clusters.map((c) => c.name)).toEqual(["beta"]);
  });

  it("shows a cluster with its settings, and 404s an unknown one", async () => {
    await createCluster("show");
    const detail = await admin<ClusterDetail>("GET", "/v1/admin/clusters/show");
    expect(detail).toMatchObject({
      name: "show",
      nodes: 0,
      settings: { minTtlSeconds: 10, defaultTtlSeconds: 60, maxTtlSeconds: 3600, maxNodes: 10000, minIntervalSeconds: 1, defaultLimit: 64 },
    });
    await expectProblem(await call("GET", "/v1/admin/clusters/nope", { token: ADMIN }), 404);
  });

  it("applies changed settings: TTL bounds, maxNodes and the default handout limit", async () => {
    const joinToken = await createCluster("tune");
    const updated = await admin<ClusterDetail>("PATCH", "/v1/admin/clusters/tune", { minTtlSeconds: 30, defaultTtlSeconds: 90, maxTtlSeconds: 300, maxNodes: 3, defaultLimit: 1 });
    expect(updated.settings).toMatchObject({ minTtlSeconds: 30, defaultTtlSeconds: 90, maxTtlSeconds: 300, maxNodes: 3, defaultLimit: 1 });
    const a = await call("PUT", "/v1/clusters/tune/nodes/a", { token: joinToken, body: { addrs: [addr(1)] } });
    const aBody = (await a.json()) as { ttlSeconds: number; credential: string };
    expect(aBody.ttlSeconds).toBe(90);
    const b = (await (await call("PUT", "/v1/clusters/tune/nodes/b", { token: joinToken, body: { addrs: [addr(2)], ttlSeconds: 5 } })).json()) as { ttlSeconds: number };
    expect(b.ttlSeconds).toBe(30);
    await join("tune", joinToken, "c", { addrs: [addr(3)], ttlSeconds: 9999 });
    await expectProblem(await call("PUT", "/v1/clusters/tune/nodes/d", { token: joinToken, body: { addrs: [addr(4)] } }), 409);
    expect((await peersOf("tune", "a", aBody.credential)).peers).toHaveLength(1);
    expect((await peersOf("tune", "a", aBody.credential, "?limit=2")).peers).toHaveLength(2);
  });

  it("refuses settings that break min ≤ default ≤ max, and changes nothing", async () => {
    await createCluster("tune2");
    const problem = await expectProblem(await call("PATCH", "/v1/admin/clusters/tune2", { token: ADMIN, body: { minTtlSeconds: 120 } }), 400);
    expect(problem.detail).toMatch(/minTtlSeconds ≤ defaultTtlSeconds/);
    expect((await admin<ClusterDetail>("GET", "/v1/admin/clusters/tune2")).settings.minTtlSeconds).toBe(10);
    await expectProblem(await call("PATCH", "/v1/admin/clusters/tune2", { token: ADMIN, body: {} }), 400);
  });

  it("tells every registration and renewal the cluster's probe policy while it restricts probing, and keeps it across a restart", async () => {
    const joinToken = await createCluster("probes");
    const detail = await admin<ClusterDetail>("GET", "/v1/admin/clusters/probes");
    expect(detail.settings).toMatchObject({ probing: "on", probeRanges: [] });
    // Unrestricted: the answer carries nothing about probes.
    const first = await call("PUT", "/v1/clusters/probes/nodes/a", { token: joinToken, body: { addrs: [addr(1)] } });
    const { credential } = (await first.json()) as { credential: string };
    const renew = async () => (await (await call("PUT", "/v1/clusters/probes/nodes/a", { token: credential, body: { addrs: [addr(1)] } })).json()) as { probes?: unknown };
    expect((await renew()).probes).toBeUndefined();

    const ranged = await admin<ClusterDetail>("PATCH", "/v1/admin/clusters/probes", { probeRanges: ["127.0.0.0/8", "fd00::/8"] });
    expect(ranged.settings).toMatchObject({ probing: "on", probeRanges: ["127.0.0.0/8", "fd00::/8"] });
    expect((await renew()).probes).toEqual({ probing: "on", ranges: ["127.0.0.0/8", "fd00::/8"] });
    await admin("PATCH", "/v1/admin/clusters/probes", { probing: "off" });
    expect((await renew()).probes).toEqual({ probing: "off", ranges: ["127.0.0.0/8", "fd00::/8"] });

    // Stored, not only in memory: a fresh object reads the same settings back.
    await evictDurableObject(env.CLUSTER.getByName("probes"));
    expect((await admin<ClusterDetail>("GET", "/v1/admin/clusters/probes")).settings).toMatchObject({ probing: "off", probeRanges: ["127.0.0.0/8", "fd00::/8"] });

    await admin("PATCH", "/v1/admin/clusters/probes", { probing: "on", probeRanges: [] });
    expect((await renew()).probes).toBeUndefined();
  });

  it("refuses a probe range that is not one, or too many, and changes nothing", async () => {
    await createCluster("probes2");
    for (const body of [
      { probeRanges: ["10.0.0.1"] },
      { probeRanges: ["seed.example/8"] },
      { probeRanges: ["10.0.0.0/33"] },
      { probing: "maybe" },
      { probeRanges: Array(33).fill("10.0.0.0/8") },
    ]) {
      const problem = await expectProblem(await call("PATCH", "/v1/admin/clusters/probes2", { token: ADMIN, body }), 400);
      expect(problem.detail).toMatch(/probeRanges|probing/);
    }
    expect((await admin<ClusterDetail>("GET", "/v1/admin/clusters/probes2")).settings).toMatchObject({ probing: "on", probeRanges: [] });
  });

  it("turns the per-node rate limit off with minIntervalSeconds 0", async () => {
    const joinToken = await createCluster("fast");
    await admin("PATCH", "/v1/admin/clusters/fast", { minIntervalSeconds: 0 });
    const n = await join("fast", joinToken, "n");
    const statuses = new Set<number>();
    for (let i = 0; i < 30; i++) statuses.add((await call("GET", "/v1/clusters/fast/nodes/n/peers", { token: n.credential })).status);
    expect([...statuses]).toEqual([200]);
  });

  it("deletes all of a cluster's state; the name can be created afresh", async () => {
    const joinToken = await createCluster("gone");
    const n = await join("gone", joinToken, "n");
    await admin("DELETE", "/v1/admin/clusters/gone");
    const leftovers = await runInDurableObject(env.CLUSTER.getByName("gone"), async (_i, state) => ({
      tables: state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%'").toArray(),
      alarm: await state.storage.getAlarm(),
    }));
    expect(leftovers).toEqual({ tables: [], alarm: null });
    await expectProblem(await call("GET", "/v1/clusters/gone/nodes/n/peers", { token: n.credential }), 404);
    await expectProblem(await call("PUT", "/v1/clusters/gone/nodes/n", { token: joinToken, body: { addrs: [addr(1)] } }), 404);
    await expectProblem(await call("DELETE", "/v1/admin/clusters/gone", { token: ADMIN }), 404);
    const again = await createCluster("gone");
    expect(again).not.toBe(joinToken);
  });
});
