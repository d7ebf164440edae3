// Every admin route against every kind of admin token: the deployment's two secrets, named
// tokens of each role scoped to every cluster or to one, and named tokens that expired, were
// revoked or were forged. What each may do follows from the route's needs (read or write; one
// cluster, every cluster, or any scope); a refusal calls no cluster's object, and (but for the
// revocation check of a genuine token) not the catalog either.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AdminSession, AdminTokenList, CreatedAdminToken } from "../../src/contract/admin-tokens.js";
import type { AuditPage, ClusterList } from "../../src/contract/admin.js";
import { type ClusterExport, EXPORT_FORMAT, EXPORT_VERSION } from "../../src/contract/export.js";
import { CLUSTER_DEFAULTS } from "../../src/contract/lease-policy.js";
import { mintAdminToken } from "../../src/worker/token-mac.js";
import { ADMIN, ADMIN_READ, addr, admin, call, countingEnv, createCluster, expectProblem, join } from "./helpers.js";

const IN = "scope-in";
const OUT = "scope-out";

async function mint(name: string, role: "read" | "write", clusters: string[], token = ADMIN, expiresAt?: string): Promise<CreatedAdminToken> {
  return admin<CreatedAdminToken>("POST", "/v1/admin/tokens", { name, role, clusters, ...(expiresAt ? { expiresAt } : {}) }, token);
}

type Who = "root" | "readSecret" | "writeAll" | "readAll" | "writeIn" | "readIn" | "expired" | "revoked" | "forged";
interface Principal {
  role: "read" | "write";
  clusters: "*" | string[];
  /** Refused with 401 whenever the route's own checks pass (expired and forged: always). */
  dead?: "always" | "after-checks";
}
const PRINCIPALS: Record<Who, Principal> = {
  root: { role: "write", clusters: "*" },
  readSecret: { role: "read", clusters: "*" },
  writeAll: { role: "write", clusters: "*" },
  readAll: { role: "read", clusters: "*" },
  writeIn: { role: "write", clusters: [IN] },
  readIn: { role: "read", clusters: [IN] },
  expired: { role: "write", clusters: "*", dead: "always" },
  revoked: { role: "write", clusters: [IN], dead: "after-checks" },
  forged: { role: "write", clusters: "*", dead: "always" },
};

interface Route {
  method: string;
  /** The path for a cluster (ignored by directory-wide routes). */
  path: (cluster: string, i: number) => string;
  scope: "cluster" | "all" | "any";
  /** A GET that still needs a write token (the export hands out credential hashes). */
  need?: "write";
  ok: number;
  body?: (i: number) => object;
  /** Run (with the root token) before the call, so a successful call has something to act on. */
  before?: (cluster: string, i: number) => Promise<void>;
}

let seq = 0;
const fresh = () => `e${++seq}`;
const write = (method: string) => method !== "GET";

const ROUTES: Route[] = [
  { method: "GET", path: () => "/v1/admin/session", scope: "any", ok: 200 },
  { method: "GET", path: () => "/v1/admin/clusters", scope: "any", ok: 200 },
  { method: "POST", path: () => "/v1/admin/clusters", scope: "all", ok: 201, body: (i) => ({ name: `made-${i}` }) },
  { method: "GET", path: () => "/v1/admin/metrics", scope: "all", ok: 200 },
  { method: "GET", path: () => "/v1/admin/tokens", scope: "all", ok: 200 },
  { method: "POST", path: () => "/v1/admin/tokens", scope: "all", ok: 201, body: (i) => ({ name: `minted-${i}`, role: "read", clusters: ["*"] }) },
  {
    method: "DELETE",
    path: (_c, i) => `/v1/admin/tokens/${revocable.get(i)}`,
    scope: "all",
    ok: 204,
    before: async (_c, i) => {
      revocable.set(i, (await mint(`doomed-${i}`, "read", ["*"])).id);
    },
  },
  { method: "GET", path: (c) => `/v1/admin/clusters/${c}`, scope: "cluster", ok: 200 },
  { method: "PATCH", path: (c) => `/v1/admin/clusters/${c}`, scope: "cluster", ok: 200, body: () => ({ maxNodes: 500 }) },
  { method: "POST", path: (c) => `/v1/admin/clusters/${c}/expire`, scope: "cluster", ok: 200 },
  { method: "DELETE", path: (c, i) => `/v1/admin/clusters/${c}-del-${i}`, scope: "all", ok: 204, before: async (c, i) => void (await createCluster(`${c}-del-${i}`)) },
  { method: "POST", path: (c) => `/v1/admin/clusters/${c}/join-tokens`, scope: "cluster", ok: 201, body: () => ({}) },
  { method: "GET", path: (c) => `/v1/admin/clusters/${c}/join-tokens`, scope: "cluster", ok: 200 },
  {
    method: "DELETE",
    path: (c, i) => `/v1/admin/clusters/${c}/join-tokens/${revocable.get(i)}`,
    scope: "cluster",
    ok: 204,
    before: async (c, i) => {
      revocable.set(i, (await admin<{ id: string }>("POST", `/v1/admin/clusters/${c}/join-tokens`, {})).id);
    },
  },
  { method: "GET", path: (c) => `/v1/admin/clusters/${c}/nodes`, scope: "cluster", ok: 200 },
  { method: "GET", path: (c) => `/v1/admin/clusters/${c}/nodes/n1/handout`, scope: "cluster", ok: 200 },
  {
    method: "POST",
    path: (c, i) => `/v1/admin/clusters/${c}/nodes/${revocable.get(i)}/evict`,
    scope: "cluster",
    ok: 204,
    body: () => ({ reason: "test" }),
    before: async (c, i) => {
      const node = fresh();
      await join(c, joinTokens.get(c) ?? "", node, { addrs: [addr(seq)] });
      revocable.set(i, node);
    },
  },
  {
    method: "DELETE",
    path: (c, i) => `/v1/admin/clusters/${c}/nodes/${revocable.get(i)}/credential`,
    scope: "cluster",
    ok: 204,
    before: async (c, i) => {
      const node = fresh();
      await join(c, joinTokens.get(c) ?? "", node, { addrs: [addr(seq)] });
      revocable.set(i, node);
    },
  },
  { method: "PUT", path: (c) => `/v1/admin/clusters/${c}/overrides/n9`, scope: "cluster", ok: 200, body: () => ({ action: "drain", reason: "test" }) },
  { method: "GET", path: (c) => `/v1/admin/clusters/${c}/overrides`, scope: "cluster", ok: 200 },
  {
    method: "DELETE",
    path: (c) => `/v1/admin/clusters/${c}/overrides/n8`,
    scope: "cluster",
    ok: 204,
    before: async (c) => void (await admin("PUT", `/v1/admin/clusters/${c}/overrides/n8`, { action: "drain", reason: "test" })),
  },
  { method: "GET", path: (c) => `/v1/admin/clusters/${c}/audit`, scope: "cluster", ok: 200 },
  { method: "GET", path: (c) => `/v1/admin/clusters/${c}/metrics`, scope: "cluster", ok: 200 },
  { method: "GET", path: (c) => `/v1/admin/clusters/${c}/export`, scope: "cluster", need: "write", ok: 200 },
  { method: "POST", path: (_c, i) => `/v1/admin/clusters/imported-${i}/import`, scope: "all", ok: 201, body: (i) => emptyExport(`imported-${i}`) },
];

/** The export document of a cluster with nothing in it yet. */
function emptyExport(cluster: string): ClusterExport {
  const settings = { createdAt: Date.now(), version: 1, ...CLUSTER_DEFAULTS, probeRanges: [], degraded: false };
  return { format: EXPORT_FORMAT, version: EXPORT_VERSION, cluster, exportedAt: new Date().toISOString(), settings, nodes: [], joinTokens: [], overrides: [], audit: [] };
}
const revocable = new Map<number, string>();
const joinTokens = new Map<string, string>();

/** The status a principal gets on a route for a cluster. */
function expected(route: Route, p: Principal, cluster: string): number {
  if (p.dead === "always") return 401;
  if ((write(route.method) || route.need === "write") && p.role === "read") return 403;
  if (route.scope === "all" && p.clusters !== "*") return 403;
  if (route.scope === "cluster" && p.clusters !== "*" && !p.clusters.includes(cluster)) return 403;
  return p.dead === "after-checks" ? 401 : route.ok;
}

describe("admin routes × admin tokens (role and scope)", async () => {
  for (const cluster of [IN, OUT]) {
    const joinToken = await createCluster(cluster);
    joinTokens.set(cluster, joinToken);
    await join(cluster, joinToken, "n1", { addrs: [addr(1)] });
  }
  const revokedToken = await mint("gone", "write", [IN]);
  await admin("DELETE", `/v1/admin/tokens/${revokedToken.id}`);
  const genuine = (await mint("genuine", "read", [IN])).token;
  const tokens: Record<Who, string> = {
    root: ADMIN,
    readSecret: ADMIN_READ,
    writeAll: (await mint("ops", "write", ["*"])).token,
    readAll: (await mint("dashboards", "read", ["*"])).token,
    writeIn: (await mint("team-in", "write", [IN])).token,
    readIn: (await mint("viewer-in", "read", [IN])).token,
    expired: await mintAdminToken({ name: "old", id: "AAAAAAAAAAAA", role: "write", clusters: "*", expiresAt: Date.now() - 1000 }, env),
    revoked: revokedToken.token,
    // A real MAC on edited claims: the read token of one cluster claiming write on every cluster.
    forged: genuine.replace(".read.0.scope-in.", ".write.0._."),
  };
  expect(tokens.forged).not.toBe(genuine);

  let i = 0;
  for (const route of ROUTES) {
    const clusters = route.scope === "cluster" || route.method === "DELETE" ? [IN, OUT] : [IN];
    for (const cluster of clusters) {
      for (const who of Object.keys(PRINCIPALS) as Who[]) {
        const status = expected(route, PRINCIPALS[who], cluster);
        const n = ++i;
        it(`${route.method} ${route.path(cluster, n).replace("undefined", "{id}")} with ${who} → ${status}`, async () => {
          if (route.before && status < 400) await route.before(cluster, n);
          const path = route.path(cluster, n);
          const counting = countingEnv();
          const body = route.body?.(n);
          const headers: Record<string, string> = { Authorization: `Bearer ${tokens[who]}` };
          if (body) headers["Content-Type"] = "application/json";
          const res = await counting.fetch(new Request(`http://peerdir.test${path}`, { method: route.method, headers, body: body ? JSON.stringify(body) : undefined }));
          if (status < 400) {
            expect(res.status, await res.clone().text()).toBe(status);
            return;
          }
          const problem = await expectProblem(res, status);
          // Refused by the Worker alone: no cluster's object, and no catalog unless a genuine
          // token's revocation had to be looked up.
          expect(counting.touched.filter((t) => t.startsWith("CLUSTER"))).toEqual([]);
          if (PRINCIPALS[who].dead !== "after-checks") expect(counting.touched).toEqual([]);
          if (status === 401) expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="peerdir"');
          if (status === 403) expect(problem.detail).toMatch(/read-only|scoped to/);
        });
      }
    }
  }
});

describe("named admin tokens", async () => {
  await createCluster("nt-a");
  await createCluster("nt-b");

  it("mints a token shown only once; the list has no secrets; the session says who it is", async () => {
    const created = await mint("ci-deploy", "write", ["nt-a"], ADMIN, "2099-01-01T00:00:00Z");
    expect(created).toMatchObject({ name: "ci-deploy", role: "write", clusters: ["nt-a"], createdBy: "root", expiresAt: "2099-01-01T00:00:00.000Z" });
    expect(created.token).toMatch(/^pda_ci-deploy\./);
    const listed = await admin<AdminTokenList>("GET", "/v1/admin/tokens", undefined, ADMIN_READ);
    const entry = listed.tokens.find((t) => t.name === "ci-deploy");
    expect(entry).toEqual({ id: created.id, name: "ci-deploy", role: "write", clusters: ["nt-a"], createdAt: created.createdAt, createdBy: "root", expiresAt: created.expiresAt });
    expect(JSON.stringify(listed)).not.toContain(created.token.split(".")[5]);
    expect(await admin<AdminSession>("GET", "/v1/admin/session", undefined, created.token)).toEqual({ role: "write", name: "ci-deploy", clusters: ["nt-a"], canManage: false });
    // A write token scoped * may mint too; what it mints says so.
    const ops = await mint("ops-2", "write", ["*"]);
    expect(await admin<AdminSession>("GET", "/v1/admin/session", undefined, ops.token)).toEqual({ role: "write", name: "ops-2", clusters: ["*"], canManage: true });
    expect((await mint("made-by-ops", "read", ["nt-b"], ops.token)).createdBy).toBe("ops-2");
  });

  it("refuses duplicate and reserved names (409), unknown roles, empty or mixed scopes and past expiries (400)", async () => {
    await mint("dup", "read", ["*"]);
    for (const name of ["dup", "root", "read"]) {
      await expectProblem(await call("POST", "/v1/admin/tokens", { token: ADMIN, body: { name, role: "read", clusters: ["*"] } }), 409);
    }
    const bad: [object, string][] = [
      [{ name: "x1", role: "admin", clusters: ["*"] }, "/role"],
      [{ name: "x2", role: "read", clusters: [] }, "/clusters"],
      [{ name: "x3", role: "read", clusters: ["*", "nt-a"] }, "/clusters"],
      [{ name: "x4", role: "read", clusters: ["nt-a", "nt-a"] }, "/clusters"],
      [{ name: "x5", role: "read", clusters: ["*"], expiresAt: "2001-01-01T00:00:00Z" }, "/expiresAt"],
      [{ name: "Bad_Name", role: "read", clusters: ["*"] }, "/name"],
      [{ name: "x6", role: "read", clusters: Array.from({ length: 17 }, (_, k) => `c${k}`) }, "/clusters"],
      [{ name: "x7", role: "read" }, "/clusters"],
    ];
    for (const [body, pointer] of bad) {
      const problem = await expectProblem(await call("POST", "/v1/admin/tokens", { token: ADMIN, body }), 400);
      expect(problem.errors?.map((e) => e.pointer).join(" "), JSON.stringify(body)).toContain(pointer);
    }
    await expectProblem(await call("DELETE", "/v1/admin/tokens/nope", { token: ADMIN }), 404);
  });

  it("filters the cluster list by scope, and the audit names the token and filters by it", async () => {
    const team = await mint("team-a", "write", ["nt-a"]);
    const listed = await admin<ClusterList>("GET", "/v1/admin/clusters", undefined, team.token);
    expect(listed.clusters.map((c) => c.name)).toEqual(["nt-a"]);
    await admin("PUT", "/v1/admin/clusters/nt-a/overrides/seed", { action: "pin", addrs: [addr(7)], reason: "by the team" }, team.token);
    await admin("PUT", "/v1/admin/clusters/nt-a/overrides/other", { action: "drain", reason: "by root" });
    const all = await admin<AuditPage>("GET", "/v1/admin/clusters/nt-a/audit", undefined, team.token);
    expect(all.entries.map((e) => [e.action, e.actor.id, e.node]).slice(0, 2)).toEqual([
      ["override.set", "root", "other"],
      ["override.set", "team-a", "seed"],
    ]);
    const byTeam = await admin<AuditPage>("GET", "/v1/admin/clusters/nt-a/audit?actor=team-a", undefined, team.token);
    expect(byTeam.entries.map((e) => [e.action, e.actor.kind, e.actor.id])).toEqual([["override.set", "admin", "team-a"]]);
    const byRoot = await admin<AuditPage>("GET", "/v1/admin/clusters/nt-a/audit?actor=root", undefined, team.token);
    expect(byRoot.entries.map((e) => e.action)).toEqual(["override.set", "join-token.create", "cluster.create"]);
    await expectProblem(await call("GET", "/v1/admin/clusters/nt-a/audit?actor=%20x", { token: team.token }), 400);
  });

  it("a revoked token is refused at once by the Worker that revoked it, and its name is free again", async () => {
    const temp = await mint("temp", "read", ["*"]);
    expect((await call("GET", "/v1/admin/clusters", { token: temp.token })).status).toBe(200);
    await admin("DELETE", `/v1/admin/tokens/${temp.id}`);
    const problem = await expectProblem(await call("GET", "/v1/admin/clusters", { token: temp.token }), 401);
    expect(problem.detail).toContain("revoked");
    expect((await admin<AdminTokenList>("GET", "/v1/admin/tokens")).tokens.map((t) => t.name)).not.toContain("temp");
    const again = await mint("temp", "read", ["*"]);
    expect((await call("GET", "/v1/admin/clusters", { token: again.token })).status).toBe(200);
    await expectProblem(await call("DELETE", `/v1/admin/tokens/${temp.id}`, { token: ADMIN }), 404);
  });

  it("named admin tokens cannot act as nodes, and node tokens cannot act as admins", async () => {
    const joinToken = await createCluster("nt-c");
    const ops = await mint("ops-3", "write", ["*"]);
    await expectProblem(await call("PUT", "/v1/clusters/nt-c/nodes/n1", { token: ops.token, body: { addrs: [addr(1)] } }), 403);
    await expectProblem(await call("GET", "/v1/admin/session", { token: joinToken }), 403);
  });

  it("without ADMIN_TOKEN the admin API is disabled, but for named tokens minted before", async () => {
    const owner = await mint("owner", "write", ["*"]);
    const e = countingEnv({ ADMIN_TOKEN: "" });
    const session = (token: string) => e.fetch(new Request("http://peerdir.test/v1/admin/session", { headers: { Authorization: `Bearer ${token}` } }));
    for (const token of [ADMIN, ADMIN_READ]) {
      const problem = await expectProblem(await session(token), 401);
      expect(problem.detail).toContain("the admin API is disabled");
    }
    expect(await (await session(owner.token)).json()).toEqual({ role: "write", name: "owner", clusters: ["*"], canManage: true });
  });
});
