// Registration and renewal: who may register an id, what a renewal changes, and TTL bounds.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { mintToken } from "../../src/worker/token-mac.js";
import { addr, call, createCluster, expectProblem, join, PEER_ID_A } from "./helpers.js";

const put = (node: string, token: string, body: object) => call("PUT", `/v1/clusters/reg/nodes/${node}`, { token, body });

describe("register and renew", async () => {
  const joinToken = await createCluster("reg");

  it("registers with the join token and returns the credential once", async () => {
    const res = await put("n1", joinToken, { addrs: [`/ip4/10.0.0.1/tcp/5001/p2p/${PEER_ID_A}`], labels: { zone: "a" } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ node: "n1", ttlSeconds: 60 });
    expect(body.credential).toMatch(/^pdn_reg\.n1\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    expect(new Date(body.expiresAt as string).getTime()).toBeGreaterThan(Date.now() + 59_000);
    expect(body.renewAfterSeconds).toBeGreaterThanOrEqual(18);
    expect(body.renewAfterSeconds).toBeLessThanOrEqual(22);

    const renewed = await put("n1", body.credential as string, { addrs: [`/ip4/10.0.0.1/tcp/5001/p2p/${PEER_ID_A}`], labels: { zone: "a" } });
    expect(renewed.status).toBe(200);
    const renewal = (await renewed.json()) as Record<string, unknown>;
    expect(renewal.credential).toBeUndefined();
    expect(renewal.version).toBe(body.version);
  });

  it("bumps the version when addrs or labels change, not on a plain renewal", async () => {
    const n = await join("reg", joinToken, "n2", { addrs: [addr(2)] });
    const same = (await (await put("n2", n.credential, { addrs: [addr(2)] })).json()) as { version: number };
    expect(same.version).toBe(n.version);
    const moved = (await (await put("n2", n.credential, { addrs: [addr(3)] })).json()) as { version: number };
    expect(moved.version).toBe(n.version + 1);
    const labelled = (await (await put("n2", n.credential, { addrs: [addr(3)], labels: { zone: "b" } })).json()) as { version: number };
    expect(labelled.version).toBe(n.version + 2);
    const labelOrder = (await (await put("n2", n.credential, { addrs: [addr(3)], labels: { zone: "b" } })).json()) as { version: number };
    expect(labelOrder.version).toBe(n.version + 2);
  });

  it("refuses a join token taking over an id with a live lease", async () => {
    await join("reg", joinToken, "n3");
    const problem = await expectProblem(await put("n3", joinToken, { addrs: [addr(3)] }), 409);
    expect(problem.detail).toMatch(/live lease/);
  });

  it("lets the join token register the id again once the lease is gone, and retires the old credential", async () => {
    const first = await join("reg", joinToken, "n4");
    expect((await call("DELETE", "/v1/clusters/reg/nodes/n4", { token: first.credential })).status).toBe(204);
    const second = await join("reg", joinToken, "n4");
    expect(second.credential).not.toBe(first.credential);
    expect(await expectProblem(await put("n4", first.credential, { addrs: [addr(4)] }), 401)).toMatchObject({ type: "urn:peerdir:problem:credential-gone" });
  });

  it("starts a new lease with the credential after leaving (201, no new credential)", async () => {
    const n = await join("reg", joinToken, "n5");
    expect((await call("DELETE", "/v1/clusters/reg/nodes/n5", { token: n.credential })).status).toBe(204);
    const again = await put("n5", n.credential, { addrs: [addr(5)] });
    expect(again.status).toBe(201);
    expect(((await again.json()) as { credential?: string }).credential).toBeUndefined();
  });

  it("clamps ttlSeconds to the cluster's bounds", async () => {
    const low = (await (await put("t1", joinToken, { addrs: [addr(1)], ttlSeconds: 1 })).json()) as { ttlSeconds: number };
    expect(low.ttlSeconds).toBe(10);
    const high = (await (await put("t2", joinToken, { addrs: [addr(1)], ttlSeconds: 100_000 })).json()) as { ttlSeconds: number };
    expect(high.ttlSeconds).toBe(3600);
    const exact = (await (await put("t3", joinToken, { addrs: [addr(1)], ttlSeconds: 120 })).json()) as { ttlSeconds: number; renewAfterSeconds: number };
    expect(exact.ttlSeconds).toBe(120);
    expect(exact.renewAfterSeconds).toBeGreaterThanOrEqual(36);
    expect(exact.renewAfterSeconds).toBeLessThanOrEqual(44);
  });

  it("stores addresses in canonical form", async () => {
    const n = await join("reg", joinToken, "canon", { addrs: ["/ip6/2001:0db8:0000:0000:0000:0000:0000:0001/tcp/5001"] });
    const other = await join("reg", joinToken, "canon-peer");
    const res = await call("GET", "/v1/clusters/reg/nodes/canon-peer/peers", { token: other.credential });
    const body = (await res.json()) as { peers: { id: string; addrs: string[] }[] };
    expect(body.peers.find((p) => p.id === "canon")?.addrs).toEqual(["/ip6/2001:db8::1/tcp/5001"]);
    expect(n.credential).toBeTruthy();
  });

  it("answers 404 for an unknown cluster to a token the directory minted for it (the cluster was deleted)", async () => {
    const token = await mintToken({ kind: "join", cluster: "nope", subject: "deleted" }, env);
    await expectProblem(await call("PUT", "/v1/clusters/nope/nodes/x", { token, body: { addrs: [addr(1)] } }), 404);
  });

  it("refuses creating a cluster twice", async () => {
    await expectProblem(await call("POST", "/v1/admin/clusters", { token: "test-admin-token-0123456789", body: { name: "reg" } }), 409);
  });
});

describe("maxNodes", () => {
  it("refuses a lease beyond the cluster's maxNodes with a clear 409, and admits one after a leave", async () => {
    const joinToken = await createCluster("full");
    const stub = env.CLUSTER.getByName("full");
    await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("UPDATE cluster SET max_nodes = 2"));
    await evictDurableObject(stub);
    const a = await join("full", joinToken, "a");
    await join("full", joinToken, "b");
    const problem = await expectProblem(await call("PUT", "/v1/clusters/full/nodes/c", { token: joinToken, body: { addrs: [addr(3)] } }), 409);
    expect(problem.type).toBe("urn:peerdir:problem:cluster-full");
    expect(problem.detail).toMatch(/maxNodes/);
    expect((await call("DELETE", "/v1/clusters/full/nodes/a", { token: a.credential })).status).toBe(204);
    await join("full", joinToken, "c");
  });
});
