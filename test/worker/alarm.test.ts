// Lease expiry: one alarm at the earliest expiry; expired leases are never handed out, even
// before the alarm runs; running the alarm again, or a retried alarm, loses nothing.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ClusterDirectory } from "../../src/worker/index.js";
import { call, createCluster, join, peersOf } from "./helpers.js";

const stubOf = (cluster: string) => env.CLUSTER.getByName(cluster);

/** Moves a lease's expiry into the past in storage, then evicts the object so it reloads it. */
async function backdate(cluster: string, node: string, msAgo = 1000) {
  const stub = stubOf(cluster);
  await runInDurableObject(stub, (_instance: ClusterDirectory, state) => {
    state.storage.sql.exec("UPDATE nodes SET expires_at = ? WHERE id = ?", Date.now() - msAgo, node);
  });
  await evictDurableObject(stub);
}

describe("lease expiry", () => {
  it("keeps exactly one alarm, at the earliest expiry", async () => {
    const joinToken = await createCluster("al1");
    await call("PUT", "/v1/clusters/al1/nodes/long", { token: joinToken, body: { addrs: ["/ip4/10.0.0.1/tcp/1"], ttlSeconds: 600 } });
    const short = await call("PUT", "/v1/clusters/al1/nodes/short", { token: joinToken, body: { addrs: ["/ip4/10.0.0.2/tcp/1"], ttlSeconds: 30 } });
    const expiresAt = new Date(((await short.json()) as { expiresAt: string }).expiresAt).getTime();
    const alarm = await runInDurableObject(stubOf("al1"), (_i: ClusterDirectory, state) => state.storage.getAlarm());
    expect(alarm).toBe(expiresAt);
  });

  it("expires a lapsed lease when the alarm runs, bumps the version and re-arms", async () => {
    const joinToken = await createCluster("al2");
    const a = await join("al2", joinToken, "a", { addrs: ["/ip4/10.0.0.1/tcp/1"], ttlSeconds: 600 });
    await join("al2", joinToken, "b", { addrs: ["/ip4/10.0.0.2/tcp/1"], ttlSeconds: 30 });
    const before = await peersOf("al2", "a", a.credential);
    expect(before.peers.map((p) => p.id)).toEqual(["b"]);

    await backdate("al2", "b");
    expect(await runDurableObjectAlarm(stubOf("al2"))).toBe(true);
    const rows = await runInDurableObject(stubOf("al2"), (_i: ClusterDirectory, state) => ({
      endedAt: state.storage.sql.exec<{ ended_at: number | null }>("SELECT ended_at FROM nodes WHERE id = 'b'").one().ended_at,
      alarm: state.storage.getAlarm(),
    }));
    expect(rows.endedAt).not.toBeNull();
    const after = await peersOf("al2", "a", a.credential);
    expect(after.peers).toEqual([]);
    expect(after.version).toBe(before.version + 1);

    // Running it again is harmless: nothing else expires, the version stays.
    await runDurableObjectAlarm(stubOf("al2"));
    expect((await peersOf("al2", "a", a.credential)).version).toBe(after.version);
    expect(await rows.alarm).toBeGreaterThan(Date.now());
  });

  it("never hands out an expired lease, even before the alarm runs", async () => {
    const joinToken = await createCluster("al3");
    const a = await join("al3", joinToken, "a", { addrs: ["/ip4/10.0.0.1/tcp/1"], ttlSeconds: 600 });
    await join("al3", joinToken, "b", { addrs: ["/ip4/10.0.0.2/tcp/1"], ttlSeconds: 30 });
    const before = await peersOf("al3", "a", a.credential);
    await backdate("al3", "b");
    const res = await call("GET", "/v1/clusters/al3/nodes/a/peers", { token: a.credential, headers: { "If-None-Match": before.etag! } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { peers: unknown[] }).peers).toEqual([]);
  });

  it("lets an expired node's credential start a new lease, and the join token take the id", async () => {
    const joinToken = await createCluster("al4");
    const b = await join("al4", joinToken, "b", { addrs: ["/ip4/10.0.0.2/tcp/1"], ttlSeconds: 30 });
    await backdate("al4", "b");
    await runDurableObjectAlarm(stubOf("al4"));
    expect((await call("GET", "/v1/clusters/al4/nodes/b/peers", { token: b.credential })).status).toBe(404);
    const renewed = await call("PUT", "/v1/clusters/al4/nodes/b", { token: b.credential, body: { addrs: ["/ip4/10.0.0.2/tcp/1"] } });
    expect(renewed.status).toBe(201);
    await backdate("al4", "b");
    await runDurableObjectAlarm(stubOf("al4"));
    const taken = await join("al4", joinToken, "b");
    expect(taken.credential).not.toBe(b.credential);
  });

  it("a retried alarm (the first run's effects lost) still expires everything due", async () => {
    const joinToken = await createCluster("al5");
    const a = await join("al5", joinToken, "a", { addrs: ["/ip4/10.0.0.1/tcp/1"], ttlSeconds: 600 });
    for (const id of ["b", "c", "d"]) await join("al5", joinToken, id, { addrs: ["/ip4/10.0.0.2/tcp/1"], ttlSeconds: 30 });
    for (const id of ["b", "c", "d"]) await backdate("al5", id);
    // The runtime retries an alarm whose handler failed: simulate by invoking the handler with retry info.
    await runInDurableObject(stubOf("al5"), async (instance: ClusterDirectory) => {
      await instance.alarm({ retryCount: 2, isRetry: true, scheduledTime: Date.now() });
    });
    expect((await peersOf("al5", "a", a.credential)).peers).toEqual([]);
  });

  it("deletes the alarm when no lease or credential is pending", async () => {
    const joinToken = await createCluster("al6");
    await join("al6", joinToken, "a", { addrs: ["/ip4/10.0.0.1/tcp/1"], ttlSeconds: 30 });
    await runInDurableObject(stubOf("al6"), (_i: ClusterDirectory, state) => {
      state.storage.sql.exec("UPDATE nodes SET expires_at = ?, ended_at = ? WHERE id = 'a'", 1, 1);
    });
    await evictDurableObject(stubOf("al6"));
    await runDurableObjectAlarm(stubOf("al6"));
    const alarm = await runInDurableObject(stubOf("al6"), (_i: ClusterDirectory, state) => state.storage.getAlarm());
    expect(alarm).toBeNull();
    const left = await runInDurableObject(stubOf("al6"), (_i: ClusterDirectory, state) => state.storage.sql.exec("SELECT id FROM nodes").toArray());
    expect(left).toEqual([]);
  });
});
