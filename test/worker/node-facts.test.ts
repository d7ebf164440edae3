// Readiness and reachability evidence in the object's SQLite storage (node_facts): a repeated
// identical result writes no row, a flip writes one, and what is stored brings a hibernated or
// evicted object back to the same admin view, metrics and handout order.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { NodeList } from "../../src/contract/admin.js";
import type { ClusterDirectory } from "../../src/worker/index.js";
import { ADMIN_READ, addr, admin, call, createCluster, join, peersOf, type Registered } from "./helpers.js";

async function renew(cluster: string, node: Registered, index: number, body: object): Promise<void> {
  const res = await call("PUT", `/v1/clusters/${cluster}/nodes/${node.node}`, { token: node.credential, body: { addrs: [addr(index)], ...body } });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** Every stored fact, and the rows SQLite says the object wrote in total so far (a cheap, exact count). */
async function facts(cluster: string) {
  return runInDurableObject(env.CLUSTER.getByName(cluster), (_i: ClusterDirectory, state) =>
    state.storage.sql.exec<{ node: string; name: string; value: string; at: number }>("SELECT node, name, value, at FROM node_facts ORDER BY node, name").toArray(),
  );
}

const failed = { result: "failed", ageSeconds: 0 };
const okay = { result: "ok", ageSeconds: 0 };

const view = async (name: string) => new Map((await admin<NodeList>("GET", `/v1/admin/clusters/${name}/nodes`)).nodes.map((n) => [n.id, n]));

async function metric(cluster: string, state: string): Promise<number> {
  const res = await call("GET", `/v1/admin/clusters/${cluster}/metrics`, { token: ADMIN_READ });
  const line = (await res.text()).split("\n").find((l) => l.startsWith("peerdir_nodes_reachability{") && l.includes(`state="${state}"`));
  return Number(line?.split(" ").at(-1));
}

describe("node facts", () => {
  it("a repeated identical result writes no row; a flip writes one", async () => {
    const joinToken = await createCluster("facts1");
    const nodes: Registered[] = [];
    for (let i = 0; i < 4; i++) nodes.push(await join("facts1", joinToken, `n${i}`, { addrs: [addr(i)] }));
    const [, n1, n2] = nodes;
    expect(await facts("facts1")).toEqual([]);

    await renew("facts1", n1, 1, { reports: { n0: failed }, ready: false });
    const first = await facts("facts1");
    expect(first.map((f) => [f.node, f.name, f.value])).toEqual([
      ["n0", "reach:n1", "failed"],
      ["n1", "ready", "false"],
    ]);
    // The same results again, later: the rows are untouched (their `at` is still the first one's).
    for (let i = 0; i < 3; i++) await renew("facts1", n1, 1, { reports: { n0: failed }, ready: false });
    expect(await facts("facts1")).toEqual(first);

    // A flip of each: one row changes, and readiness back to its default leaves no row.
    await renew("facts1", n1, 1, { reports: { n0: okay } });
    const flipped = await facts("facts1");
    expect(flipped.map((f) => [f.node, f.name, f.value])).toEqual([["n0", "reach:n1", "ok"]]);
    expect(flipped[0].at).toBeGreaterThanOrEqual(first[0].at);

    // The node's facts go with its lease.
    await renew("facts1", n2, 2, { reports: { n1: failed } });
    expect((await facts("facts1")).some((f) => f.node === "n1")).toBe(true);
    expect((await call("DELETE", "/v1/clusters/facts1/nodes/n1", { token: n1.credential })).status).toBe(204);
    expect((await facts("facts1")).some((f) => f.node === "n1")).toBe(false);
  });

  it("an evicted object comes back with the same readiness, reachability, metrics and order", async () => {
    const joinToken = await createCluster("facts2");
    const nodes: Registered[] = [];
    for (let i = 0; i < 4; i++) nodes.push(await join("facts2", joinToken, `n${i}`, { addrs: [addr(i)] }));
    const [, n1, n2, n3] = nodes;
    await renew("facts2", n1, 1, { reports: { n0: failed, n2: okay } });
    await renew("facts2", n2, 2, { reports: { n0: failed } });
    await renew("facts2", n3, 3, { ready: false });
    const before = await peersOf("facts2", n1.node, n1.credential);
    expect(before.peers.map((p) => p.id)).toEqual(["n2", "n0", "n3"]);

    await evictDurableObject(env.CLUSTER.getByName("facts2"));
    const nodesView = await view("facts2");
    expect(nodesView.get("n0")!.reachability).toMatchObject({ state: "unreachable", failedReporters: 2 });
    expect(nodesView.get("n2")!.reachability.state).toBe("reachable");
    expect(nodesView.get("n3")!.ready).toBe(false);
    expect(await metric("facts2", "unreachable")).toBe(1);
    expect(await metric("facts2", "not_ready")).toBe(1);
    const after = await peersOf("facts2", n1.node, n1.credential);
    expect(after.peers).toEqual(before.peers);
    expect(after.version).toBe(before.version);
  });
});
