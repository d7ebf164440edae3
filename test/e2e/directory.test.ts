// The directory as a deployed Worker would run: the built bundle in local workerd, over real
// HTTP on 127.0.0.1, with its state persisted across a stop and start.
import { afterAll, describe, expect, it } from "vitest";
import { createCluster, type RunningDirectory, startDirectory } from "../support/directory.js";

const running: RunningDirectory[] = [];
afterAll(async () => {
  await Promise.all(running.map((d) => d.stop()));
});

describe("directory over HTTP", () => {
  it("keeps clusters and leases across a restart on the same state", async () => {
    const first = await startDirectory();
    running.push(first);
    const { joinToken } = await createCluster(first.url, first.adminToken, "e2e");
    const put = (url: string, node: string, token: string) =>
      fetch(`${url}/v1/clusters/e2e/nodes/${node}`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ addrs: ["/ip4/127.0.0.1/tcp/5001"], ttlSeconds: 600 }),
      });
    const a = (await (await put(first.url, "a", joinToken)).json()) as { credential: string };
    expect((await put(first.url, "b", joinToken)).status).toBe(201);
    await first.stop();
    running.pop();

    const second = await startDirectory({ persistDir: first.persistDir, port: first.port });
    running.push(second);
    expect(second.url).toBe(first.url);
    const res = await fetch(`${second.url}/v1/clusters/e2e/nodes/a/peers`, { headers: { Authorization: `Bearer ${a.credential}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { peers: { id: string }[] };
    expect(body.peers.map((p) => p.id)).toEqual(["b"]);
    expect((await put(second.url, "a", a.credential)).status).toBe(200);
  });
});
