// The object keeps nothing only in memory that matters: evicting it between requests loses no
// cluster, lease, credential, version or alarm.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ClusterDirectory } from "../../src/worker/index.js";
import { addr, call, createCluster, join, peersOf } from "./helpers.js";

describe("eviction", () => {
  it("loses nothing between requests", async () => {
    const stub = env.CLUSTER.getByName("evict");
    const joinToken = await createCluster("evict");
    const a = await join("evict", joinToken, "a", { addrs: [addr(1)], labels: { zone: "x" } });
    await evictDurableObject(stub);
    const b = await join("evict", joinToken, "b", { addrs: [addr(2)] });
    await evictDurableObject(stub);
    const before = await peersOf("evict", "a", a.credential);
    expect(before.peers.map((p) => p.id)).toEqual(["b"]);

    await evictDurableObject(stub);
    // Renewal with the same credential, a 304 on the same ETag, the hijack guard: all intact.
    expect((await call("PUT", "/v1/clusters/evict/nodes/a", { token: a.credential, body: { addrs: [addr(1)], labels: { zone: "x" } } })).status).toBe(200);
    await evictDurableObject(stub);
    const unchanged = await call("GET", "/v1/clusters/evict/nodes/a/peers", { token: a.credential, headers: { "If-None-Match": before.etag! } });
    expect(unchanged.status).toBe(304);
    expect((await call("PUT", "/v1/clusters/evict/nodes/b", { token: joinToken, body: { addrs: [addr(2)] } })).status).toBe(409);
    await evictDurableObject(stub);
    expect((await peersOf("evict", "b", b.credential)).peers).toEqual([{ id: "a", addrs: [addr(1)], labels: { zone: "x" } }]);
    // The alarm survives too, never later than the earliest lease expiry.
    const { alarm, earliest } = await runInDurableObject(stub, async (_i: ClusterDirectory, s) => ({
      alarm: await s.storage.getAlarm(),
      earliest: s.storage.sql.exec<{ t: number }>("SELECT MIN(expires_at) AS t FROM nodes WHERE ended_at IS NULL").one().t,
    }));
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(earliest);
  });
});
