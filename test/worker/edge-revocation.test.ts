// Revocation at the edge: a revoked admin token, and a node credential or join token its cluster
// revoked, replaced or deleted, is refused by the Worker alone within one revocation window
// (REVOCATION_SYNC_SECONDS, 60 s by default; 1 s here), so refused requests stop waking the
// cluster's object. Counted with the Worker's bindings behind a wrapper (helpers.ts): any use of
// the CLUSTER namespace is an object addressed.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CreatedAdminToken } from "../../src/contract/admin-tokens.js";
import { CATALOG_NAME } from "../../src/worker/objects/cluster-catalog.js";
import { syncWindowMs } from "../../src/worker/revocations.js";
import { ADMIN, addr, admin, countingEnv, createCluster, join } from "./helpers.js";

const WINDOW_SECONDS = 1;
/** The bound each test checks: one window, plus time for the requests themselves. */
const BOUND_MS = WINDOW_SECONDS * 1000 + 1500;

function edge() {
  return countingEnv({ REVOCATION_SYNC_SECONDS: String(WINDOW_SECONDS) });
}

const get = (path: string, token: string) => new Request(`http://peerdir.test${path}`, { headers: { Authorization: `Bearer ${token}`, "CF-Connecting-IP": "192.0.2.9" } });

/** Polls until a request with `token` is refused (401) without addressing any cluster's object; returns how long it took. */
async function refusedAtEdgeWithin(path: string, token: string, since: number): Promise<number> {
  await expect
    .poll(
      async () => {
        const e = edge();
        const res = await e.fetch(get(path, token));
        return { status: res.status, clusterTouched: e.touched.some((t) => t.startsWith("CLUSTER")) };
      },
      { timeout: BOUND_MS, interval: 100 },
    )
    .toEqual({ status: 401, clusterTouched: false });
  return Date.now() - since;
}

/** 1,000 requests with `token`: every one 401, no cluster object addressed. */
async function thousandRefused(path: string, token: string): Promise<void> {
  const e = edge();
  const statuses = new Map<number, number>();
  for (let start = 0; start < 1000; start += 100) {
    const batch = await Promise.all(Array.from({ length: 100 }, () => e.fetch(get(path, token))));
    for (const res of batch) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  }
  expect(Object.fromEntries(statuses)).toEqual({ 401: 1000 });
  expect(e.touched.filter((t) => t.startsWith("CLUSTER"))).toEqual([]);
}

describe("revocation at the edge", async () => {
  const joinToken = await createCluster("rev");
  const peers = (node: string) => `/v1/clusters/rev/nodes/${node}/peers`;

  it("a revoked node credential: refused within the window, then 1,000 requests wake no object", async () => {
    const a = await join("rev", joinToken, "a", { addrs: [addr(1)] });
    // Before: the credential works (and reaches its object).
    const before = edge();
    expect((await before.fetch(get(peers("a"), a.credential))).status).toBe(200);
    expect(before.touched).toContain("CLUSTER.getByName");
    const revokedAt = Date.now();
    await admin("DELETE", "/v1/admin/clusters/rev/nodes/a/credential");
    expect(await refusedAtEdgeWithin(peers("a"), a.credential, revokedAt)).toBeLessThanOrEqual(BOUND_MS);
    await thousandRefused(peers("a"), a.credential);
  }, 60_000);

  it("a replaced credential (the node registered again with the join token) and an evicted node's credential", async () => {
    const b = await join("rev", joinToken, "b", { addrs: [addr(2)] });
    await admin("POST", "/v1/admin/clusters/rev/nodes/b/evict", { reason: "test" });
    const b2 = await join("rev", joinToken, "b", { addrs: [addr(2)] });
    await admin("POST", "/v1/admin/clusters/rev/nodes/b/evict", { reason: "test" });
    const b3 = await join("rev", joinToken, "b", { addrs: [addr(2)] });
    const since = Date.now();
    await refusedAtEdgeWithin(peers("b"), b.credential, since);
    await refusedAtEdgeWithin(peers("b"), b2.credential, since);
    // The current credential still works.
    const e = edge();
    expect((await e.fetch(get(peers("b"), b3.credential))).status).toBe(200);
  });

  it("a revoked join token, and every token of a deleted cluster", async () => {
    const doomedJoin = await createCluster("rev-doomed");
    const node = await join("rev-doomed", doomedJoin, "n", { addrs: [addr(3)] });
    const extra = await admin<{ id: string; token: string }>("POST", "/v1/admin/clusters/rev/join-tokens", {});
    await admin("DELETE", `/v1/admin/clusters/rev/join-tokens/${extra.id}`);
    await admin("DELETE", "/v1/admin/clusters/rev-doomed");
    const since = Date.now();
    await refusedAtEdgeWithin(peers("z"), extra.token, since);
    await refusedAtEdgeWithin("/v1/clusters/rev-doomed/nodes/n/peers", node.credential, since);
    await refusedAtEdgeWithin("/v1/clusters/rev-doomed/nodes/m/peers", doomedJoin, since);
  });

  it("an admin token revoked elsewhere (straight in the catalog) is refused within the window, then 1,000 times without any object", async () => {
    const created = await admin<CreatedAdminToken>("POST", "/v1/admin/tokens", { name: "leaked", role: "write", clusters: ["rev"] }, ADMIN);
    const path = "/v1/admin/clusters/rev/nodes";
    expect((await edge().fetch(get(path, created.token))).status).toBe(200);
    const revokedAt = Date.now();
    // Not through this Worker's DELETE route, which would also note it locally at once.
    await env.CATALOG.getByName(CATALOG_NAME).revokeAdminToken(created.id);
    expect(await refusedAtEdgeWithin(path, created.token, revokedAt)).toBeLessThanOrEqual(BOUND_MS);
    await thousandRefused(path, created.token);
  }, 60_000);

  it("the window is 60 s unless a deployment (or a test) says otherwise", () => {
    const bound = env as Env;
    expect(bound.REVOCATION_SYNC_SECONDS).toBeUndefined();
    expect(syncWindowMs(bound)).toBe(60_000);
    expect(syncWindowMs({ REVOCATION_SYNC_SECONDS: "5" })).toBe(5_000);
    expect(syncWindowMs({ REVOCATION_SYNC_SECONDS: "nonsense" })).toBe(60_000);
  });

  it("isolates ask the catalog at most once per window, and only for tokens that passed their MAC", async () => {
    const created = await admin<CreatedAdminToken>("POST", "/v1/admin/tokens", { name: "busy", role: "read", clusters: ["*"] }, ADMIN);
    // A long window: once one request brought the list up to date, 200 more ask the catalog nothing.
    const slow = countingEnv({ REVOCATION_SYNC_SECONDS: "3600" });
    await slow.fetch(get("/v1/admin/session", created.token));
    slow.touched.length = 0;
    for (let i = 0; i < 200; i++) expect((await slow.fetch(get("/v1/admin/session", created.token))).status).toBe(200);
    // Forged ones (a real MAC on edited claims) never get as far as the list.
    const forged = created.token.replace(".read.", ".write.");
    for (let i = 0; i < 200; i++) expect((await slow.fetch(get("/v1/admin/session", forged))).status).toBe(401);
    expect(slow.touched).toEqual([]);
  });

  // Last: a failed update holds off the next try for SYNC_RETRY_MS in this isolate.
  it("when the catalog cannot be reached: node tokens go on to their object, named admin tokens get 503, and nobody hammers the catalog", async () => {
    const d = await join("rev", joinToken, "d", { addrs: [addr(5)] });
    const named = await admin<CreatedAdminToken>("POST", "/v1/admin/tokens", { name: "outage", role: "read", clusters: ["*"] }, ADMIN);
    let attempts = 0;
    const down = {
      getByName: () => {
        attempts++;
        throw new Error("catalog unreachable (simulated)");
      },
    } as unknown as Env["CATALOG"];
    // A window of 1 ms: every request would update the list.
    const e = countingEnv({ REVOCATION_SYNC_SECONDS: "0.001", CATALOG: down });
    expect((await e.fetch(get(peers("d"), d.credential))).status).toBe(200);
    expect(attempts).toBe(1);
    for (let i = 0; i < 5; i++) expect((await e.fetch(get(peers("d"), d.credential))).status).toBe(200);
    const refused = await e.fetch(get("/v1/admin/session", named.token));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("Retry-After")).toBe("5");
    expect((await e.fetch(get("/v1/admin/session", ADMIN))).status).toBe(200);
    // One attempt in all, however many requests came after it.
    expect(attempts).toBe(1);
  });
});
