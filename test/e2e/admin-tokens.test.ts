// Named admin tokens end to end, on the built Worker over real HTTP: root mints a token scoped to
// one cluster; the token works there and nowhere else; the audit names it; it revokes a node's
// credential, which every request is then refused within one revocation window without reaching
// the cluster's object (its own refusal counter stands still over 1,000 requests); and once
// revoked itself, the token is refused. The window is REVOCATION_SYNC_SECONDS: 60 s by default,
// 3 s here so the bound is checked without a minute's wait.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdminSession, AdminTokenList, CreatedAdminToken } from "../../src/contract/admin-tokens.js";
import type { AuditPage, ClusterList } from "../../src/contract/admin.js";
import { createCluster, type RunningDirectory, startDirectory } from "../support/directory.js";

const WINDOW_SECONDS = 3;
/** One window, plus time for the requests themselves. */
const BOUND_MS = WINDOW_SECONDS * 1000 + 2000;

let dir: RunningDirectory;
beforeAll(async () => {
  // Many refused requests from one address: lift the failed-authentication limit (edge-auth.test.ts tests it).
  dir = await startDirectory({ vars: { REVOCATION_SYNC_SECONDS: String(WINDOW_SECONDS) }, authFailureLimit: 1_000_000 });
});
afterAll(async () => {
  await dir?.stop();
});

async function call(method: string, path: string, token: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(`${dir.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function json<T>(method: string, path: string, token: string, body?: unknown): Promise<T> {
  const res = await call(method, path, token, body);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? null : await res.json()) as T;
}

/** Node requests the cluster's object itself refused with 401 (peerdir_requests_refused_total). */
async function refusedByObject(cluster: string): Promise<number> {
  const text = await (await call("GET", `/v1/admin/clusters/${cluster}/metrics`, dir.adminToken)).text();
  const line = text.split("\n").find((l) => l.startsWith("peerdir_requests_refused_total{") && l.includes('status="401"'));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe("a named admin token's life", () => {
  it("is minted, used within its scope, audited, revokes a credential (refused at the edge within the window, 0 object calls), and is revoked", async () => {
    const { joinToken } = await createCluster(dir.url, dir.adminToken, "team");
    await createCluster(dir.url, dir.adminToken, "elsewhere");

    // Minted by root, shown once.
    const minted = await json<CreatedAdminToken>("POST", "/v1/admin/tokens", dir.adminToken, { name: "team-ci", role: "write", clusters: ["team"] });
    expect(minted).toMatchObject({ name: "team-ci", role: "write", clusters: ["team"], createdBy: "root", expiresAt: null });
    const listed = await json<AdminTokenList>("GET", "/v1/admin/tokens", dir.adminToken);
    expect(JSON.stringify(listed)).not.toContain(minted.token);
    const token = minted.token;

    // Used: its session, its cluster only.
    expect(await json<AdminSession>("GET", "/v1/admin/session", token)).toEqual({ role: "write", name: "team-ci", clusters: ["team"], canManage: false });
    expect((await json<ClusterList>("GET", "/v1/admin/clusters", token)).clusters.map((c) => c.name)).toEqual(["team"]);
    expect((await call("GET", "/v1/admin/clusters/elsewhere/nodes", token)).status).toBe(403);
    expect((await call("POST", "/v1/admin/clusters", token, { name: "mine" })).status).toBe(403);

    // A node joins; the token drains it and revokes its credential; the audit names the token.
    const reg = await call("PUT", "/v1/clusters/team/nodes/n1", joinToken, { addrs: ["/ip4/127.0.0.1/tcp/5001"], ttlSeconds: 600 });
    expect(reg.status).toBe(201);
    const { credential } = (await reg.json()) as { credential: string };
    await json("PUT", "/v1/admin/clusters/team/overrides/n1", token, { action: "drain", reason: "maintenance" });
    const revokedAt = Date.now();
    await json("DELETE", "/v1/admin/clusters/team/nodes/n1/credential", token);
    const audit = await json<AuditPage>("GET", "/v1/admin/clusters/team/audit?actor=team-ci", dir.adminToken);
    expect(audit.entries.map((e) => [e.action, e.actor, e.node])).toEqual([
      ["node.credential-revoke", { kind: "admin", id: "team-ci" }, "n1"],
      ["override.set", { kind: "admin", id: "team-ci" }, "n1"],
    ]);
    const byRoot = await json<AuditPage>("GET", "/v1/admin/clusters/team/audit?actor=root", dir.adminToken);
    expect(byRoot.entries.map((e) => e.action)).toEqual(["join-token.create", "cluster.create"]);

    // The revoked credential: refused by the edge itself within the window.
    const peers = () => fetch(`${dir.url}/v1/clusters/team/nodes/n1/peers`, { headers: { Authorization: `Bearer ${credential}` } });
    await expect
      .poll(
        async () => {
          const res = await peers();
          return [res.status, ((await res.json()) as { detail: string }).detail.includes("no longer honoured")];
        },
        { timeout: BOUND_MS, interval: 100 },
      )
      .toEqual([401, true]);
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(BOUND_MS);

    // After the window: 1,000 requests, all refused, none reaching the cluster's object. Its
    // counter is read after every batch, which also keeps the object in memory (an idle object is
    // evicted, and its counters with it).
    const before = await refusedByObject("team");
    const statuses: number[] = [];
    for (let start = 0; start < 1000; start += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => peers()));
      for (const res of batch) {
        statuses.push(res.status);
        await res.body?.cancel();
      }
      expect(await refusedByObject("team")).toBe(before);
    }
    expect(statuses.filter((s) => s !== 401)).toEqual([]);
    expect(statuses).toHaveLength(1000);

    // Revoked itself: refused at once here, and on every route.
    await json("DELETE", `/v1/admin/tokens/${minted.id}`, dir.adminToken);
    for (const [method, path] of [
      ["GET", "/v1/admin/session"],
      ["GET", "/v1/admin/clusters/team/nodes"],
      ["PUT", "/v1/admin/clusters/team/overrides/n2"],
    ] as const) {
      const res = await call(method, path, token, method === "PUT" ? { action: "drain", reason: "x" } : undefined);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(((await res.json()) as { detail: string }).detail).toContain("revoked");
    }
    expect((await json<AdminTokenList>("GET", "/v1/admin/tokens", dir.adminToken)).tokens.map((t) => t.name)).not.toContain("team-ci");
  }, 60_000);
});
