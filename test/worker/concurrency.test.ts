// Many nodes joining at once: each gets its own lease and credential, none is lost or doubled.
import { describe, expect, it } from "vitest";
import { addr, call, createCluster, peersOf } from "./helpers.js";

describe("concurrent registrations", () => {
  it("200 concurrent registrations give exactly 200 nodes", async () => {
    const joinToken = await createCluster("herd");
    const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => call("PUT", `/v1/clusters/herd/nodes/node-${i}`, { token: joinToken, body: { addrs: [addr(i)] } })));
    expect(responses.map((r) => r.status)).toEqual(Array(200).fill(201));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { credential: string; version: number }[];
    expect(new Set(bodies.map((b) => b.credential)).size).toBe(200);
    expect(new Set(bodies.map((b) => b.version)).size).toBe(200);

    const handout = await peersOf("herd", "node-0", bodies[0].credential, "?limit=500");
    expect(handout.peers).toHaveLength(199);
    expect(new Set(handout.peers.map((p) => p.id)).size).toBe(199);
    // Without a limit, a new cluster's default bound applies: 64 of them.
    expect((await peersOf("herd", "node-0", bodies[0].credential)).peers).toHaveLength(64);
    expect(handout.version).toBe(Math.max(...bodies.map((b) => b.version)));
  });
});
