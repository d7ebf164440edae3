// Self-preservation: when more than half of a cluster of at least 10 would expire at once, the
// directory keeps them, says "degraded", and resumes normal expiry once renewals recover.
// An operator can force expiry.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AuditPage, ClusterDetail, ClusterList } from "../../src/contract/admin.js";
import { addr, admin, call, createCluster, join, peersOf, type Registered } from "./helpers.js";

async function lapse(cluster: string, ids: string[]) {
  const stub = env.CLUSTER.getByName(cluster);
  await runInDurableObject(stub, (_i, s) => {
    for (const id of ids) s.storage.sql.exec("UPDATE nodes SET expires_at = ? WHERE id = ?", Date.now() - 1000, id);
  });
  await evictDurableObject(stub);
  await runDurableObjectAlarm(stub);
}

async function cluster(name: string, size: number) {
  const joinToken = await createCluster(name);
  const nodes: Registered[] = [];
  for (let i = 0; i < size; i++) nodes.push(await join(name, joinToken, `n${i}`, { addrs: [addr(i)], ttlSeconds: 600 }));
  return nodes;
}

describe("self-preservation", () => {
  it("keeps leases when most expire at once, marks degraded, and recovers once renewals come back", async () => {
    const nodes = await cluster("sp1", 12);
    const lapsed = nodes.slice(0, 8).map((n) => n.node);
    await lapse("sp1", lapsed);
    const watcher = nodes[11];
    const degraded = (await call("GET", "/v1/clusters/sp1/nodes/n11/peers", { token: watcher.credential }).then((r) => r.json())) as { degraded?: boolean; peers: unknown[] };
    expect(degraded.degraded).toBe(true);
    expect(degraded.peers).toHaveLength(11);
    expect((await admin<ClusterDetail>("GET", "/v1/admin/clusters/sp1")).degraded).toBe(true);
    expect((await admin<ClusterList>("GET", "/v1/admin/clusters")).clusters.find((c) => c.name === "sp1")?.degraded).toBe(true);

    // Renewals recover: 6 of the 8 come back, 2 stay away. Now 2 of 12 are due: normal expiry resumes.
    for (const n of nodes.slice(0, 6))
      expect((await call("PUT", `/v1/clusters/sp1/nodes/${n.node}`, { token: n.credential, body: { addrs: [addr(Number(n.node.slice(1)))], ttlSeconds: 600 } })).status).toBe(200);
    await runDurableObjectAlarm(env.CLUSTER.getByName("sp1"));
    const recovered = await peersOf("sp1", "n11", watcher.credential);
    expect((recovered as { degraded?: boolean }).degraded).toBeUndefined();
    expect(recovered.peers.map((p) => p.id).sort()).toEqual(["n0", "n1", "n10", "n2", "n3", "n4", "n5", "n8", "n9"]);
    expect((await admin<ClusterDetail>("GET", "/v1/admin/clusters/sp1")).degraded).toBe(false);
    const actions = (await admin<AuditPage>("GET", "/v1/admin/clusters/sp1/audit?limit=5")).entries.map((e) => e.action);
    expect(actions).toContain("cluster.recovered");
  });

  it("expires normally in small clusters and when at most half lapse", async () => {
    const small = await cluster("sp2", 6);
    await lapse(
      "sp2",
      small.slice(0, 5).map((n) => n.node),
    );
    expect((await peersOf("sp2", "n5", small[5].credential)).peers).toEqual([]);
    const big = await cluster("sp3", 10);
    await lapse(
      "sp3",
      big.slice(0, 5).map((n) => n.node),
    );
    const left = await peersOf("sp3", "n9", big[9].credential);
    expect((left as { degraded?: boolean }).degraded).toBeUndefined();
    expect(left.peers).toHaveLength(4);
  });

  it("lets an operator force expiry", async () => {
    const nodes = await cluster("sp4", 10);
    await lapse(
      "sp4",
      nodes.slice(0, 9).map((n) => n.node),
    );
    expect((await admin<ClusterDetail>("GET", "/v1/admin/clusters/sp4")).degraded).toBe(true);
    expect(await admin("POST", "/v1/admin/clusters/sp4/expire")).toEqual({ expired: 9 });
    const after = await peersOf("sp4", "n9", nodes[9].credential);
    expect(after.peers).toEqual([]);
    expect((after as { degraded?: boolean }).degraded).toBeUndefined();
    expect((await admin<ClusterDetail>("GET", "/v1/admin/clusters/sp4")).degraded).toBe(false);
  });
});
