// Renewal checkpoints in the real object (docs/architecture.md#renewal-checkpoints): a plain
// renewal writes only the window's start, its row is written by the checkpoint timer
// (RENEWAL_CHECKPOINT_MS is 100 ms in this test runtime), and an object reset inside the window
// keeps the lease instead of losing the renewal.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { NodeView } from "../../src/contract/admin.js";
import type { ClusterDirectory } from "../../src/worker/index.js";
import { addr, admin, call, createCluster, join } from "./helpers.js";

const CHECKPOINT_MS = Number(env.RENEWAL_CHECKPOINT_MS);
const TTL_SECONDS = 60;

const stored = (cluster: string, node: string) =>
  runInDurableObject(env.CLUSTER.getByName(cluster), (_i, state) => ({
    expiresAt: state.storage.sql.exec<{ t: number }>("SELECT expires_at AS t FROM nodes WHERE id = ?", node).one().t,
    windowStart: state.storage.sql.exec<{ t: number | null }>("SELECT renewals_unsaved_since AS t FROM cluster").one().t,
  }));

/** What is stored once the checkpoint timer has closed the window (bounded wait). */
async function afterCheckpoint(cluster: string, node: string) {
  let row = await stored(cluster, node);
  for (let i = 0; i < 50 && row.windowStart !== null; i++) {
    await new Promise((r) => setTimeout(r, CHECKPOINT_MS));
    row = await stored(cluster, node);
  }
  return row;
}

const renew = async (cluster: string, node: string, credential: string) => {
  const res = await call("PUT", `/v1/clusters/${cluster}/nodes/${node}`, { token: credential, body: { addrs: [addr(1)], ttlSeconds: TTL_SECONDS } });
  expect(res.status).toBe(200);
  return Date.parse(((await res.json()) as { expiresAt: string }).expiresAt);
};

const expiryInView = async (cluster: string, node: string) =>
  Date.parse((await admin<{ nodes: NodeView[] }>("GET", `/v1/admin/clusters/${cluster}/nodes`)).nodes.find((n) => n.id === node)!.expiresAt!);

describe("renewal checkpoints", () => {
  it("holds a plain renewal in memory, then writes it at the checkpoint", async () => {
    expect(CHECKPOINT_MS).toBe(100);
    const token = await createCluster("rc-write");
    const a = await join("rc-write", token, "a", { addrs: [addr(1)], ttlSeconds: TTL_SECONDS });
    const joined = await stored("rc-write", "a");
    expect(joined.windowStart).toBe(null);

    const renewedUntil = await renew("rc-write", "a", a.credential);
    const held = await stored("rc-write", "a");
    expect(held.expiresAt).toBe(joined.expiresAt); // the row is not written yet
    expect(held.windowStart).not.toBe(null); // but the window's start is, before the 200
    expect(await expiryInView("rc-write", "a")).toBe(renewedUntil); // and memory has the renewal

    expect(await afterCheckpoint("rc-write", "a")).toEqual({ expiresAt: renewedUntil, windowStart: null });
  });

  it("an object reset inside the window keeps the lease at least as long as the lost renewal", async () => {
    const token = await createCluster("rc-crash");
    const a = await join("rc-crash", token, "a", { addrs: [addr(1)], ttlSeconds: TTL_SECONDS });
    const renewedUntil = await renew("rc-crash", "a", a.credential);
    const { windowStart } = await stored("rc-crash", "a");
    expect(windowStart).not.toBe(null);
    // A reset before the checkpoint timer: memory is gone, storage has the window's start only.
    await expect(runInDurableObject(env.CLUSTER.getByName("rc-crash"), (_i: ClusterDirectory, state) => state.abort("reset for the test"))).rejects.toThrow();
    const kept = await expiryInView("rc-crash", "a");
    expect(kept).toBeGreaterThanOrEqual(renewedUntil);
    expect(kept).toBe(windowStart! + CHECKPOINT_MS + TTL_SECONDS * 1000);
    // The restarted object writes the kept expiry at its own checkpoint.
    expect(await afterCheckpoint("rc-crash", "a")).toEqual({ expiresAt: kept, windowStart: null });
  });

  it("a renewal that changes the TTL is written at once", async () => {
    const token = await createCluster("rc-ttl");
    const a = await join("rc-ttl", token, "a", { addrs: [addr(1)], ttlSeconds: TTL_SECONDS });
    const res = await call("PUT", "/v1/clusters/rc-ttl/nodes/a", { token: a.credential, body: { addrs: [addr(1)], ttlSeconds: 120 } });
    expect(res.status).toBe(200);
    const until = Date.parse(((await res.json()) as { expiresAt: string }).expiresAt);
    expect(await stored("rc-ttl", "a")).toEqual({ expiresAt: until, windowStart: null });
  });
});
