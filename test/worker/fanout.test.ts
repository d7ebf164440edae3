// Targeted fan-out in the object: with bounded handouts, a join reaches exactly the watchers
// whose handout it enters (each told of the join and of the peer it displaced), a leave exactly
// those that held the peer, and every other socket receives nothing; full-list watchers all get
// the one shared message.
import { describe, expect, it } from "vitest";
import { selectPeers } from "../../src/cluster/selection.js";
import { addr, admin, call, createCluster, join, type Registered } from "./helpers.js";
import { openWatch, type Watch } from "./watch-client.js";

const N = 16;
const LIMIT = 3;

/** What each watcher of `ids` holds with `LIMIT`, as a full recompute picks it. */
function handouts(ids: string[]): Map<string, Set<string>> {
  const pool = ids.map((id) => ({ id, zone: null }));
  return new Map(ids.map((id) => [id, new Set(selectPeers(pool, id, null, LIMIT).map((p) => p.id))]));
}

async function cluster(name: string, defaultLimit: number | null) {
  const joinToken = await createCluster(name);
  await admin("PATCH", `/v1/admin/clusters/${name}`, { defaultLimit, minIntervalSeconds: 0 });
  const ids = Array.from({ length: N }, (_, i) => `w${String(i).padStart(2, "0")}`);
  const nodes = new Map<string, Registered>();
  for (const [i, id] of ids.entries()) nodes.set(id, await join(name, joinToken, id, { addrs: [addr(i)] }));
  const watches = new Map<string, Watch>();
  for (const id of ids) {
    const watch = await openWatch(name, id, nodes.get(id)!.credential);
    expect((await watch.next()).type).toBe("snapshot");
    watches.set(id, watch);
  }
  return { joinToken, ids, watches };
}

describe("targeted fan-out", () => {
  it("tells a join only to the bounded watchers it enters, a leave only to its holders, and nothing to the rest", async () => {
    const { joinToken, ids, watches } = await cluster("fan1", LIMIT);
    const before = handouts(ids);
    const joiner = await join("fan1", joinToken, "joiner", { addrs: [addr(99)] });
    const after = handouts([...ids, "joiner"]);
    const entered = ids.filter((id) => after.get(id)!.has("joiner"));
    expect(entered.length).toBeGreaterThan(0);
    expect(entered.length).toBeLessThan(N);
    for (const id of entered) {
      const displaced = [...before.get(id)!].filter((p) => !after.get(id)!.has(p));
      expect(await watches.get(id)!.next()).toEqual({ type: "delta", version: joiner.version, upserts: [{ id: "joiner", addrs: [addr(99)], labels: {} }], removes: displaced });
    }
    const leave = await call("DELETE", "/v1/clusters/fan1/nodes/joiner", { token: joiner.credential });
    expect(leave.status).toBe(204);
    for (const id of entered) {
      const delta = await watches.get(id)!.next();
      const restored = [...before.get(id)!].filter((p) => !after.get(id)!.has(p));
      expect(delta).toMatchObject({ type: "delta", removes: ["joiner"] });
      expect((delta.upserts as { id: string }[]).map((p) => p.id)).toEqual(restored);
    }
    // A change every watcher sees (a new default limit sends everyone a snapshot): the sockets the
    // join did not enter get that as their very next message, so they were sent nothing before it.
    await admin("PATCH", "/v1/admin/clusters/fan1", { defaultLimit: LIMIT + 1 });
    for (const id of ids) expect((await watches.get(id)!.next()).type, id).toBe("snapshot");
    for (const watch of watches.values()) watch.ws.close(1000, "done");
  });

  it("sends every full-list watcher the same join, once", async () => {
    const { joinToken, ids, watches } = await cluster("fan2", null);
    const joiner = await join("fan2", joinToken, "joiner", { addrs: [addr(99)] });
    const raws = await Promise.all(ids.map((id) => watches.get(id)!.nextRaw()));
    expect(new Set(raws)).toEqual(new Set([JSON.stringify({ type: "delta", version: joiner.version, upserts: [{ id: "joiner", addrs: [addr(99)], labels: {} }], removes: [] })]));
    await admin("PATCH", "/v1/admin/clusters/fan2", { defaultLimit: LIMIT });
    for (const id of ids) expect((await watches.get(id)!.next()).type, id).toBe("snapshot");
    for (const watch of watches.values()) watch.ws.close(1000, "done");
  });
});
