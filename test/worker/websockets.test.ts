// Watch over hibernatable WebSockets: a snapshot, then a delta per change that affects this
// node's handout; resume with ?since; pings answered; renewals over the socket; closed when the
// credential goes.
import { env, exports } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addr, admin, call, createCluster, expectProblem, join } from "./helpers.js";
import { openWatch } from "./watch-client.js";

describe("watch", () => {
  it("sends a snapshot, then deltas for each change that affects this node", async () => {
    const joinToken = await createCluster("ws1");
    const a = await join("ws1", joinToken, "a");
    await join("ws1", joinToken, "b", { addrs: [addr(2)] });
    const watch = await openWatch("ws1", "a", a.credential);
    const snapshot = await watch.next();
    expect(snapshot).toMatchObject({ type: "snapshot", peers: [{ id: "b", addrs: [addr(2)], labels: {} }] });

    const c = await join("ws1", joinToken, "c", { addrs: [addr(3)] });
    expect(await watch.next()).toEqual({ type: "delta", version: c.version, upserts: [{ id: "c", addrs: [addr(3)], labels: {} }], removes: [] });
    await call("PUT", "/v1/clusters/ws1/nodes/c", { token: c.credential, body: { addrs: [addr(4)] } });
    expect(await watch.next()).toMatchObject({ type: "delta", upserts: [{ id: "c", addrs: [addr(4)] }], removes: [] });
    await call("DELETE", "/v1/clusters/ws1/nodes/c", { token: c.credential });
    expect(await watch.next()).toMatchObject({ type: "delta", upserts: [], removes: ["c"] });
    watch.ws.close(1000, "done");
  });

  it("sends no delta that changes nothing this node sees: its own readiness moves the version, not its handout", async () => {
    const joinToken = await createCluster("ws-own-readiness");
    const a = await join("ws-own-readiness", joinToken, "a");
    const c = await join("ws-own-readiness", joinToken, "c", { addrs: [addr(3)] });
    const watch = await openWatch("ws-own-readiness", "a", a.credential);
    const other = await openWatch("ws-own-readiness", "c", c.credential);
    let version = ((await watch.next()) as { version: number }).version;
    await other.next();
    // Not ready, then ready again, told on a's socket as the agent does: both move the cluster's
    // version (other nodes' handouts order by it), and a's own handout stays as it was.
    for (const ready of [false, true]) {
      watch.ws.send(JSON.stringify({ type: "renew", addrs: [addr(0)], ready }));
      const renewed = (await watch.next()) as { type: string; version: number };
      expect(renewed.type).toBe("renewed");
      expect(renewed.version).toBeGreaterThan(version);
      version = renewed.version;
    }
    // c sees a's readiness (in deltas); once c is up to date, every watcher has been brought up to date.
    for (let seen = 0; seen < version; ) {
      const delta = (await other.next()) as { type: string; version: number; upserts: { id: string }[] };
      expect(delta).toMatchObject({ type: "delta", upserts: [{ id: "a" }] });
      seen = delta.version;
    }
    // The next message a's watcher gets is the next change it sees.
    const b = await join("ws-own-readiness", joinToken, "b", { addrs: [addr(2)] });
    expect(await watch.next()).toEqual({ type: "delta", version: b.version, upserts: [{ id: "b", addrs: [addr(2)], labels: {} }], removes: [] });
    watch.ws.close(1000, "done");
    other.ws.close(1000, "done");
  });

  it("answers pings, renews over the socket, and takes the credential as a subprotocol", async () => {
    const joinToken = await createCluster("ws2");
    const a = await join("ws2", joinToken, "a");
    const watch = await openWatch("ws2", "a", a.credential, "", true);
    expect(await watch.next()).toMatchObject({ type: "snapshot", peers: [] });
    watch.ws.send("ping");
    expect(await watch.nextRaw()).toBe("pong");
    watch.ws.send(JSON.stringify({ type: "renew", addrs: [addr(0)], ttlSeconds: 120 }));
    expect(await watch.next()).toMatchObject({ type: "renewed", node: "a", ttlSeconds: 120 });
    watch.ws.send(JSON.stringify({ type: "renew", addrs: ["nonsense"] }));
    expect(await watch.next()).toMatchObject({ type: "error", status: 400 });
    watch.ws.send("{not json");
    expect(await watch.next()).toMatchObject({ type: "error", status: 400 });
    watch.ws.close(1000, "done");
  });

  it("resumes with only the missed changes, even across an eviction", async () => {
    const joinToken = await createCluster("ws3");
    const a = await join("ws3", joinToken, "a");
    const first = await openWatch("ws3", "a", a.credential);
    const snapshot = (await first.next()) as { version: number };
    first.ws.close(1000, "bye");
    await join("ws3", joinToken, "b", { addrs: [addr(2)] });
    await join("ws3", joinToken, "c", { addrs: [addr(3)] });
    await evictDurableObject(env.CLUSTER.getByName("ws3"));
    const resumed = await openWatch("ws3", "a", a.credential, `?since=${snapshot.version}`);
    expect(await resumed.next()).toMatchObject({ type: "delta", upserts: [{ id: "b" }, { id: "c" }], removes: [] });
    resumed.ws.close(1000, "done");
    const fromTheFuture = await openWatch("ws3", "a", a.credential, "?since=999999");
    expect(await fromTheFuture.next()).toMatchObject({ type: "snapshot", peers: [{ id: "b" }, { id: "c" }] });
    fromTheFuture.ws.close(1000, "done");
  });

  it("keeps a limited watcher's subset exact", async () => {
    const joinToken = await createCluster("ws4");
    const a = await join("ws4", joinToken, "a");
    for (let i = 0; i < 6; i++) await join("ws4", joinToken, `p${i}`, { addrs: [addr(i + 10)] });
    const watch = await openWatch("ws4", "a", a.credential, "?limit=2");
    const snapshot = (await watch.next()) as { peers: { id: string }[] };
    const held = new Set(snapshot.peers.map((p) => p.id));
    expect(held.size).toBe(2);
    const gone = [...held][0];
    await admin("POST", `/v1/admin/clusters/ws4/nodes/${gone}/evict`, { reason: "test" });
    const delta = (await watch.next()) as { upserts: { id: string }[]; removes: string[] };
    expect(delta.removes).toEqual([gone]);
    expect(delta.upserts).toHaveLength(1);
    held.delete(gone);
    held.add(delta.upserts[0].id);
    const fresh = await call("GET", "/v1/clusters/ws4/nodes/a/peers?limit=2", { token: a.credential });
    expect(new Set(((await fresh.json()) as { peers: { id: string }[] }).peers.map((p) => p.id))).toEqual(held);
    watch.ws.close(1000, "done");
  });

  it("brings every open watch up to date, those opened before an eviction too, and none that closed", async () => {
    const joinToken = await createCluster("ws7");
    const nodes = [];
    for (const id of ["a", "b", "c"]) nodes.push({ id, ...(await join("ws7", joinToken, id, { addrs: [addr(nodes.length + 1)] })) });
    const watches = [];
    for (const n of nodes) {
      const watch = await openWatch("ws7", n.id, n.credential);
      expect(await watch.next()).toMatchObject({ type: "snapshot" });
      watches.push(watch);
    }
    watches[2].ws.close(1000, "leaving");
    await watches[2].closed;
    const d = await join("ws7", joinToken, "d", { addrs: [addr(9)] });
    const delta = { type: "delta", version: d.version, upserts: [{ id: "d", addrs: [addr(9)], labels: {} }], removes: [] };
    // Watchers of full lists are sent one shared message: the same text for a and b.
    const [first, second] = [await watches[0].nextRaw(), await watches[1].nextRaw()];
    expect(first).toBe(second);
    expect(JSON.parse(first)).toEqual(delta);

    // After an eviction the object finds its open sockets again from the runtime.
    await evictDurableObject(env.CLUSTER.getByName("ws7"));
    const e = await join("ws7", joinToken, "e", { addrs: [addr(10)] });
    for (const watch of watches.slice(0, 2))
      expect(await watch.next()).toEqual({ type: "delta", version: e.version, upserts: [{ id: "e", addrs: [addr(10)], labels: {} }], removes: [] });
    for (const watch of watches.slice(0, 2)) watch.ws.close(1000, "done");
  });

  it("closes the watch when the node's credential is revoked", async () => {
    const joinToken = await createCluster("ws5");
    const a = await join("ws5", joinToken, "a");
    const watch = await openWatch("ws5", "a", a.credential);
    await watch.next();
    await admin("DELETE", "/v1/admin/clusters/ws5/nodes/a/credential");
    expect((await watch.closed).code).toBe(4001);
  });

  it("refuses a plain GET, and bad credentials, with problems", async () => {
    const joinToken = await createCluster("ws6");
    const a = await join("ws6", joinToken, "a");
    await expectProblem(await call("GET", "/v1/clusters/ws6/nodes/a/watch", { token: a.credential }), 426);
    const res = await exports.default.fetch(new Request("http://peerdir.test/v1/clusters/ws6/nodes/a/watch", { headers: { Upgrade: "websocket" } }));
    await expectProblem(res, 401);
    const wrong = await exports.default.fetch(
      new Request("http://peerdir.test/v1/clusters/ws6/nodes/a/watch", { headers: { Upgrade: "websocket", Authorization: `Bearer ${joinToken}` } }),
    );
    await expectProblem(wrong, 403);
  });
});
