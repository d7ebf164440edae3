// Reachability in the directory: readiness and probe reports ride on renewals (and on the watch
// socket's renewals), move the handout order without removing anyone, and show in the admin
// views; reports outside the rules change nothing.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { NodeList } from "../../src/contract/admin.js";
import { addr, admin, call, createCluster, expectProblem, join, peersOf, type Registered } from "./helpers.js";

async function renew(cluster: string, node: Registered, body: object, index: number): Promise<Response> {
  const res = await call("PUT", `/v1/clusters/${cluster}/nodes/${node.node}`, { token: node.credential, body: { addrs: [addr(index)], ...body } });
  expect(res.status, await res.clone().text()).toBe(200);
  return res;
}

const failed = { result: "failed", ageSeconds: 1 };
const okay = { result: "ok", ageSeconds: 1 };

async function cluster(name: string, count: number): Promise<Registered[]> {
  const joinToken = await createCluster(name);
  const nodes: Registered[] = [];
  for (let i = 0; i < count; i++) nodes.push(await join(name, joinToken, `n${i}`, { addrs: [addr(i)] }));
  return nodes;
}

const order = async (name: string, node: Registered) => (await peersOf(name, node.node, node.credential)).peers.map((p) => p.id);
const view = async (name: string) => new Map((await admin<NodeList>("GET", `/v1/admin/clusters/${name}/nodes`)).nodes.map((n) => [n.id, n]));

describe("reachability", () => {
  it("hands out a node two reporters failed to reach after the others, marked, and clears it on a success", async () => {
    const [, n1, n2, n3] = await cluster("reach1", 4);
    expect(await order("reach1", n3)).toEqual(["n0", "n1", "n2"]);
    await renew("reach1", n1, { reports: { n0: failed, n2: okay } }, 1);
    expect(await order("reach1", n3)).toEqual(["n2", "n0", "n1"]); // n2 reachable first; n0 one failure: still unknown
    const { version } = await peersOf("reach1", n3.node, n3.credential);
    await renew("reach1", n2, { reports: { n0: failed } }, 2);
    const after = await peersOf("reach1", n3.node, n3.credential);
    expect(after.version).toBeGreaterThan(version);
    expect(after.peers.map((p) => p.id)).toEqual(["n2", "n1", "n0"]);
    expect(after.peers[2]).toEqual({ id: "n0", addrs: [addr(0)], labels: {}, reachability: "unreachable" });
    const nodes = await view("reach1");
    expect(nodes.get("n0")!.reachability).toMatchObject({ state: "unreachable", failedReporters: 2, okReporters: 0 });
    expect(Date.parse(nodes.get("n0")!.reachability.checkedAt!)).toBeGreaterThan(0);
    expect((await admin<{ reachability: object }>("GET", "/v1/admin/clusters/reach1")).reachability).toEqual({ reachable: 1, unknown: 2, unreachable: 1, notReady: 0 });

    await renew("reach1", n3, { reports: { n0: okay } }, 3);
    expect((await view("reach1")).get("n0")!.reachability).toMatchObject({ state: "reachable", failedReporters: 0, okReporters: 1 });
    expect(await order("reach1", n1)).toEqual(["n0", "n2", "n3"]);
  });

  it("ignores self-reports, repeated reports from one reporter and peers outside the reporter's handout", async () => {
    const [n0, n1] = await cluster("reach2", 3);
    await renew("reach2", n1, { reports: { n1: failed, n2: failed, ghost: failed } }, 1);
    await renew("reach2", n1, { reports: { n2: failed } }, 1);
    const nodes = await view("reach2");
    expect(nodes.get("n1")!.reachability.state).toBe("unknown");
    expect(nodes.get("n2")!.reachability).toMatchObject({ state: "unknown", failedReporters: 1 });
    expect(await order("reach2", n0)).toEqual(["n1", "n2"]);
  });

  it("puts not-ready nodes last, and takes them back when ready again", async () => {
    const [n0, n1] = await cluster("reach3", 3);
    await renew("reach3", n1, { ready: false }, 1);
    const peers = (await peersOf("reach3", n0.node, n0.credential)).peers;
    expect(peers.map((p) => p.id)).toEqual(["n2", "n1"]);
    expect(peers[1]).toMatchObject({ id: "n1", ready: false });
    expect((await view("reach3")).get("n1")!.ready).toBe(false);
    // The same renewal again moves nothing.
    const { version } = await peersOf("reach3", n0.node, n0.credential);
    await renew("reach3", n1, { ready: false }, 1);
    expect((await peersOf("reach3", n0.node, n0.credential)).version).toBe(version);
    await renew("reach3", n1, {}, 1);
    expect(await order("reach3", n0)).toEqual(["n1", "n2"]);
  });

  it("clears the evidence when a node's addresses change", async () => {
    const [, n1, n2, n3] = await cluster("reach4", 4);
    await renew("reach4", n1, { reports: { n3: failed } }, 1);
    await renew("reach4", n2, { reports: { n3: failed } }, 2);
    expect((await view("reach4")).get("n3")!.reachability.state).toBe("unreachable");
    await renew("reach4", n3, {}, 33);
    expect((await view("reach4")).get("n3")!.reachability).toEqual({ state: "unknown", failedReporters: 0, okReporters: 0, checkedAt: null });
  });

  it("needs one reporter in a cluster of two", async () => {
    const [n0] = await cluster("reach5", 2);
    await renew("reach5", n0, { reports: { n1: failed } }, 0);
    expect((await view("reach5")).get("n1")!.reachability).toMatchObject({ state: "unreachable", failedReporters: 1 });
  });

  it("rejects malformed reports with a problem", async () => {
    const [n0] = await cluster("reach6", 2);
    for (const reports of [{ n1: { result: "maybe", ageSeconds: 1 } }, { n1: { result: "ok", ageSeconds: -1 } }, { n1: { result: "ok" } }, { "-bad": okay }, ["n1"]]) {
      const res = await call("PUT", `/v1/clusters/reach6/nodes/n0`, { token: n0.credential, body: { addrs: [addr(0)], reports } });
      await expectProblem(res, 400);
    }
    await expectProblem(await call("PUT", `/v1/clusters/reach6/nodes/n0`, { token: n0.credential, body: { addrs: [addr(0)], ready: "no" } }), 400);
  });

  it("takes reports on the watch socket's renewals, and pushes the new order as a delta", async () => {
    const [n0, n1] = await cluster("reach7", 3);
    const res = await exports.default.fetch(
      new Request("http://peerdir.test/v1/clusters/reach7/nodes/n0/watch", { headers: { Upgrade: "websocket", Authorization: `Bearer ${n0.credential}` } }),
    );
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const messages: Record<string, unknown>[] = [];
    ws.addEventListener("message", (e) => messages.push(JSON.parse(String(e.data))));
    ws.accept();
    const received = (type: string) => () => messages.find((m) => m.type === type);
    await expect.poll(received("snapshot")).toBeDefined();
    await renew("reach7", n1, { reports: { n2: failed } }, 1);
    ws.send(JSON.stringify({ type: "renew", addrs: [addr(0)], reports: { n2: failed } }));
    await expect.poll(received("renewed")).toBeDefined();
    await expect.poll(received("delta")).toMatchObject({ upserts: [{ id: "n2", reachability: "unreachable" }], removes: [] });
    ws.close(1000, "done");
  });
});
