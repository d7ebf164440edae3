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
      },
    ]);
    await call("PUT", "/v1/clusters/view/nodes/a", { token: credential, body: { addrs: [addr(1)], labels: { zone: "z1" } }, headers: { "CF-Connecting-IP": "2001:db8::7" } });
    const second = (await admin<NodeList>("GET", "/v1/admin/clusters/view/nodes")).nodes[0];
    expect(second.observedIp).toBe("2001:db8::7");
    expect(Date.parse(second.lastRenewedAt!)).toBeGreaterThanOrEqual(Date.parse(second.registeredAt!));
  });
});
