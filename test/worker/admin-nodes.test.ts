// Admin: the nodes view shows each node's lease times and the client IP the directory observed.
import { describe, expect, it } from "vitest";
import type { NodeList } from "../../src/contract/admin.js";
import { addr, admin, call, createCluster } from "./helpers.js";

describe("admin: nodes view", () => {
  it("lists live nodes with lease times and the observed client IP, updated on renewal", async () => {
    const joinToken = await createCluster("view");
    const res = await call("PUT", "/v1/clusters/view/nodes/a", {
      token: joinToken,
      body: { addrs: [addr(1)], labels: { zone: "z1" }, ttlSeconds: 120 },
      headers: { "CF-Connecting-IP": "203.0.113.7" },
    });
    const { credential, expiresAt } = (await res.json()) as { credential: string; expiresAt: string };
    const first = (await admin<NodeList>("GET", "/v1/admin/clusters/view/nodes")).nodes;
    expect(first).toEqual([
      {
        id: "a",
        addrs: [addr(1)],
        labels: { zone: "z1" },
        source: "lease",
        state: "active",
        expiresAt,
        registeredAt: first[0].registeredAt,
        lastRenewedAt: first[0].registeredAt,
        observedIp: "203.0.113.7",
        ready: true,
        reachability: { state: "unknown", failedReporters: 0, okReporters: 0, checkedAt: null },
        consumers: { looping: false, requestsPerMinute: 0, endpoint: null, since: null },
        transport: null,
        reason: null,
      },
    ]);
    await call("PUT", "/v1/clusters/view/nodes/a", { token: credential, body: { addrs: [addr(1)], labels: { zone: "z1" } }, headers: { "CF-Connecting-IP": "2001:db8::7" } });
    const second = (await admin<NodeList>("GET", "/v1/admin/clusters/view/nodes")).nodes[0];
    expect(second.observedIp).toBe("2001:db8::7");
    expect(Date.parse(second.lastRenewedAt!)).toBeGreaterThanOrEqual(Date.parse(second.registeredAt!));
  });
});

describe("admin: views are current", () => {
  it("expire what is due before answering, even when the alarm has not run yet", async () => {
    const { env } = await import("cloudflare:workers");
    const { evictDurableObject, runInDurableObject } = await import("cloudflare:test");
    const joinToken = await createCluster("view2");
    await call("PUT", "/v1/clusters/view2/nodes/a", { token: joinToken, body: { addrs: [addr(1)], ttlSeconds: 600 } });
    await call("PUT", "/v1/clusters/view2/nodes/b", { token: joinToken, body: { addrs: [addr(2)], ttlSeconds: 600 } });
    const stub = env.CLUSTER.getByName("view2");
    await runInDurableObject(stub, (_i, s) => s.storage.sql.exec("UPDATE nodes SET expires_at = ? WHERE id = 'b'", Date.now() - 1));
    await evictDurableObject(stub);
    expect((await admin<NodeList>("GET", "/v1/admin/clusters/view2/nodes")).nodes.map((n) => n.id)).toEqual(["a"]);
    expect((await admin<{ nodes: number }>("GET", "/v1/admin/clusters/view2")).nodes).toBe(1);
  });
});
