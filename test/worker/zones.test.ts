// Zone-aware handouts: same-zone peers first, inside the stable rendezvous subset; the
// cluster's default limit when a request gives none.
import { describe, expect, it } from "vitest";
import { addr, admin, createCluster, join, peersOf } from "./helpers.js";

describe("zones", () => {
  it("hands same-zone peers first, and prefers them when a limit applies", async () => {
    const joinToken = await createCluster("zones");
    const me = await join("zones", joinToken, "me", { addrs: [addr(0)], labels: { zone: "a" } });
    for (let i = 0; i < 8; i++) await join("zones", joinToken, `p${i}`, { addrs: [addr(i + 1)], labels: { zone: i < 3 ? "a" : "b" } });
    await join("zones", joinToken, "nozone", { addrs: [addr(20)] });
    const all = await peersOf("zones", "me", me.credential);
    expect(all.peers.map((p) => p.id)).toEqual(["p0", "p1", "p2", "nozone", "p3", "p4", "p5", "p6", "p7"]);
    const two = await peersOf("zones", "me", me.credential, "?limit=2");
    expect(two.peers.every((p) => p.labels.zone === "a")).toBe(true);
    const five = await peersOf("zones", "me", me.credential, "?limit=5");
    expect(five.peers.slice(0, 3).map((p) => p.id)).toEqual(["p0", "p1", "p2"]);
    expect(five.peers.slice(3).every((p) => p.labels.zone !== "a")).toBe(true);
    expect((await peersOf("zones", "me", me.credential, "?limit=5")).peers).toEqual(five.peers);
  });

  it("applies the cluster's defaultLimit, so large clusters hand out small lists", async () => {
    const joinToken = await createCluster("zones2");
    await admin("PATCH", "/v1/admin/clusters/zones2", { defaultLimit: 3 });
    const me = await join("zones2", joinToken, "me");
    for (let i = 0; i < 10; i++) await join("zones2", joinToken, `p${i}`, { addrs: [addr(i + 1)] });
    expect((await peersOf("zones2", "me", me.credential)).peers).toHaveLength(3);
    expect((await peersOf("zones2", "me", me.credential, "?limit=6")).peers).toHaveLength(6);
  });
});
