// The watch's 101 advises the reconnect window sized to the cluster (src/contract/watch.ts).
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RECONNECT_WINDOW_HEADER, reconnectWindowSeconds } from "../../src/contract/watch.js";
import { addr, createCluster, join } from "./helpers.js";

describe("reconnect window", () => {
  it("comes with every accepted watch, sized to the cluster's live nodes", async () => {
    const joinToken = await createCluster("rw1");
    const a = await join("rw1", joinToken, "a");
    await join("rw1", joinToken, "b", { addrs: [addr(2)] });
    const res = await exports.default.fetch(
      new Request("http://peerdir.test/v1/clusters/rw1/nodes/a/watch", { headers: { Upgrade: "websocket", Authorization: `Bearer ${a.credential}` } }),
    );
    expect(res.status).toBe(101);
    expect(res.headers.get(RECONNECT_WINDOW_HEADER)).toBe(String(reconnectWindowSeconds(2)));
    res.webSocket!.accept();
    res.webSocket!.close(1000, "done");
  });
});
