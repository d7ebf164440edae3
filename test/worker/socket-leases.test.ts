// Leases in the real object (docs/architecture.md#leases): a plain renewal is never written; a
// ping on the watch socket, answered by the runtime, holds the lease past its stored expiry and
// is read only when an expiry check comes due; a closed socket counts down from its last ping;
// a restarted object keeps each stored lease its TTL from the restart. The test's Date is faked
// (the object shares it); the runtime stamps pings with the real time, so the fake clock is set
// around the real one.
import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { NodeView } from "../../src/contract/admin.js";
import type { ClusterDirectory } from "../../src/worker/index.js";
import { addr, admin, call, createCluster, join } from "./helpers.js";

const TTL_SECONDS = 10;

const storedExpiry = (cluster: string, node: string) =>
  runInDurableObject(env.CLUSTER.getByName(cluster), (_i, state) => state.storage.sql.exec<{ t: number }>("SELECT expires_at AS t FROM nodes WHERE id = ?", node).one().t);

/** The admin nodes view (it expires whatever is due first): the node's expiry, or null when it has no live lease. */
async function viewExpiry(cluster: string, node: string): Promise<number | null> {
  const row = (await admin<{ nodes: NodeView[] }>("GET", `/v1/admin/clusters/${cluster}/nodes`)).nodes.find((n) => n.id === node);
  return row?.state === "active" && row.expiresAt ? Date.parse(row.expiresAt) : null;
}

async function openWatch(cluster: string, node: string, credential: string) {
  const res = await exports.default.fetch(
    new Request(`http://peerdir.test/v1/clusters/${cluster}/nodes/${node}/watch`, { headers: { Upgrade: "websocket", Authorization: `Bearer ${credential}` } }),
  );
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  const messages: string[] = [];
  let wake: (() => void) | null = null;
  ws.addEventListener("message", (e) => {
    messages.push(String(e.data));
    wake?.();
  });
  ws.accept();
  const next = async () => {
    for (let i = 0; i < 300 && messages.length === 0; i++) {
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 10);
      });
    }
    return messages.shift();
  };
  expect(JSON.parse((await next())!)).toMatchObject({ type: "snapshot" });
  return { ws, next };
}

describe("leases", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("never writes a plain renewal; writes one that changes the TTL", async () => {
    const token = await createCluster("sl-write");
    const a = await join("sl-write", token, "a", { addrs: [addr(1)], ttlSeconds: 60 });
    const joined = await storedExpiry("sl-write", "a");
    const res = await call("PUT", "/v1/clusters/sl-write/nodes/a", { token: a.credential, body: { addrs: [addr(1)], ttlSeconds: 60 } });
    const renewedUntil = Date.parse(((await res.json()) as { expiresAt: string }).expiresAt);
    expect(await storedExpiry("sl-write", "a")).toBe(joined); // not written
    expect(await viewExpiry("sl-write", "a")).toBe(renewedUntil); // memory has it
    const changed = await call("PUT", "/v1/clusters/sl-write/nodes/a", { token: a.credential, body: { addrs: [addr(1)], ttlSeconds: 120 } });
    expect(await storedExpiry("sl-write", "a")).toBe(Date.parse(((await changed.json()) as { expiresAt: string }).expiresAt));
  });

  it("a ping holds the lease past its stored expiry; when the socket closes the TTL counts down from that ping", async () => {
    const real = Date.now();
    vi.useFakeTimers({ toFake: ["Date"] });
    // Registered and watching "8 s ago": the stored lease runs out 2 s from now.
    vi.setSystemTime(real - 8_000);
    const token = await createCluster("sl-ping");
    const a = await join("sl-ping", token, "a", { addrs: [addr(1)], ttlSeconds: TTL_SECONDS });
    const watch = await openWatch("sl-ping", "a", a.credential);
    vi.setSystemTime(real);
    watch.ws.send("ping");
    expect(await watch.next()).toBe("pong");
    const pingedAt = await runInDurableObject(
      env.CLUSTER.getByName("sl-ping"),
      (_i: ClusterDirectory, state) => state.getWebSocketAutoResponseTimestamp(state.getWebSockets("a")[0])?.getTime() ?? null,
    );
    expect(pingedAt).not.toBe(null);
    const stored = await storedExpiry("sl-ping", "a");
    expect(stored).toBe(real - 8_000 + TTL_SECONDS * 1000);

    // Past the stored expiry: the check reads the ping and keeps the lease until ping + TTL, writing nothing.
    vi.setSystemTime(real + 5_000);
    expect(await viewExpiry("sl-ping", "a")).toBe(pingedAt! + TTL_SECONDS * 1000);
    expect(await storedExpiry("sl-ping", "a")).toBe(stored);

    // The socket closes: the countdown runs from the last ping, not from the close.
    watch.ws.close(1000, "done");
    for (let i = 0; i < 100; i++) {
      const open = await runInDurableObject(env.CLUSTER.getByName("sl-ping"), (_i: ClusterDirectory, state) => state.getWebSockets("a").length);
      if (open === 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    vi.setSystemTime(pingedAt! + TTL_SECONDS * 1000 - 1);
    expect(await viewExpiry("sl-ping", "a")).toBe(pingedAt! + TTL_SECONDS * 1000);
    vi.setSystemTime(pingedAt! + TTL_SECONDS * 1000);
    expect(await viewExpiry("sl-ping", "a")).toBe(null);
  });

  it("a restarted object keeps each stored lease its TTL from the restart", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = Date.UTC(2041, 0, 1);
    vi.setSystemTime(t0);
    const token = await createCluster("sl-restart");
    const a = await join("sl-restart", token, "a", { addrs: [addr(1)], ttlSeconds: 60 });
    vi.setSystemTime(t0 + 30_000);
    await call("PUT", "/v1/clusters/sl-restart/nodes/a", { token: a.credential, body: { addrs: [addr(1)], ttlSeconds: 60 } });
    expect(await storedExpiry("sl-restart", "a")).toBe(t0 + 60_000); // the renewal was not written
    vi.setSystemTime(t0 + 40_000);
    await expect(runInDurableObject(env.CLUSTER.getByName("sl-restart"), (_i: ClusterDirectory, state) => state.abort("reset for the test"))).rejects.toThrow();
    // Reloaded at t0 + 40 s: the lease is kept until then + TTL, past the lost renewal's t0 + 90 s.
    expect(await viewExpiry("sl-restart", "a")).toBe(t0 + 100_000);
    vi.setSystemTime(t0 + 100_000);
    expect(await viewExpiry("sl-restart", "a")).toBe(null);
  });
});
