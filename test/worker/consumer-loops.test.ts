// Consumer loops in the directory: an agent's report rides on a renewal (HTTP or the watch
// socket), is stored only when it changes, survives the object's eviction (hibernation, restarts),
// shows in the nodes view, the cluster summary and the cluster's metrics, and never moves the
// cluster's version; a malformed report is a 400.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ClusterDetail, NodeList } from "../../src/contract/admin.js";
import { ADMIN, addr, admin, call, createCluster, expectProblem, join, peersOf } from "./helpers.js";

const looping = { looping: true, requestsPerMinute: 1800, endpoint: "/id", sinceSeconds: 5 };
const stopped = { looping: false, requestsPerMinute: 0, endpoint: "/id", sinceSeconds: 0 };

const consumersOf = async (cluster: string, node: string) => (await admin<NodeList>("GET", `/v1/admin/clusters/${cluster}/nodes`)).nodes.find((n) => n.id === node)!.consumers;
const storedLoops = (cluster: string) => runInDurableObject(env.CLUSTER.getByName(cluster), (_i, s) => s.storage.sql.exec("SELECT * FROM node_consumer_loops").toArray());
const metric = async (cluster: string) => {
  const text = await (await call("GET", `/v1/admin/clusters/${cluster}/metrics`, { token: ADMIN })).text();
  return /^peerdir_nodes_consumer_looping\{cluster="[^"]+"\} (\d+)$/m.exec(text)?.[1];
};

describe("consumer loops", () => {
  it("keeps a node's loop from its renewal, across an eviction, until its agent says it ended", async () => {
    const joinToken = await createCluster("loops1");
    const n0 = await join("loops1", joinToken, "n0", { addrs: [addr(0)], consumers: { looping: false, requestsPerMinute: 0, endpoint: null, sinceSeconds: 3 } });
    const n1 = await join("loops1", joinToken, "n1", { addrs: [addr(1)] });
    expect(await storedLoops("loops1")).toEqual([]);
    const { version } = await peersOf("loops1", n1.node, n1.credential);

    const before = Date.now();
    const res = await call("PUT", "/v1/clusters/loops1/nodes/n0", { token: n0.credential, body: { addrs: [addr(0)], consumers: looping } });
    expect(res.status, await res.clone().text()).toBe(200);
    const shown = await consumersOf("loops1", "n0");
    expect(shown).toMatchObject({ looping: true, requestsPerMinute: 1800, endpoint: "/id" });
    expect(Date.parse(shown.since!)).toBeLessThanOrEqual(before - 4000);
    expect((await admin<ClusterDetail>("GET", "/v1/admin/clusters/loops1")).consumerLoops).toBe(1);
    expect(await metric("loops1")).toBe("1");
    expect((await peersOf("loops1", n1.node, n1.credential)).version).toBe(version);

    await evictDurableObject(env.CLUSTER.getByName("loops1"));
    expect(await consumersOf("loops1", "n0")).toEqual(shown);
    expect(await metric("loops1")).toBe("1");

    await call("PUT", "/v1/clusters/loops1/nodes/n0", { token: n0.credential, body: { addrs: [addr(0)], consumers: stopped } });
    expect(await consumersOf("loops1", "n0")).toMatchObject({ looping: false, endpoint: "/id" });
    expect(await metric("loops1")).toBe("0");
    expect(await storedLoops("loops1")).toHaveLength(1);
  });

  it("takes a report on the watch socket's renewal", async () => {
    const joinToken = await createCluster("loops2");
    const n0 = await join("loops2", joinToken, "n0", { addrs: [addr(0)] });
    const res = await exports.default.fetch(
      new Request("http://peerdir.test/v1/clusters/loops2/nodes/n0/watch", { headers: { Upgrade: "websocket", Authorization: `Bearer ${n0.credential}` } }),
    );
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const renewed = new Promise<void>((resolve) => ws.addEventListener("message", (e) => String(e.data).includes('"renewed"') && resolve()));
    ws.accept();
    ws.send(JSON.stringify({ type: "renew", addrs: [addr(0)], consumers: looping }));
    await renewed;
    expect(await consumersOf("loops2", "n0")).toMatchObject({ looping: true, endpoint: "/id", requestsPerMinute: 1800 });
    ws.close(1000, "done");
  });

  it("refuses a malformed report with a problem", async () => {
    const joinToken = await createCluster("loops3");
    const n0 = await join("loops3", joinToken, "n0", { addrs: [addr(0)] });
    for (const consumers of [{ ...looping, requestsPerMinute: -1 }, { ...looping, endpoint: "/metrics" }, { ...looping, extra: 1 }, { looping: "yes" }]) {
      await expectProblem(await call("PUT", "/v1/clusters/loops3/nodes/n0", { token: n0.credential, body: { addrs: [addr(0)], consumers } }), 400);
    }
    expect((await consumersOf("loops3", "n0")).looping).toBe(false);
  });
});
