// The `peerdir` admin CLI as operators run it: the built bin in a child process, against the real
// directory Worker in local workerd, checked through its output and through the directory itself.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditPage, ClusterDetail, ClusterList, CreatedJoinToken, Handout, JoinTokenList, NodeList, Override, OverrideList } from "../../src/contract/admin.js";
import type { AdminTokenList } from "../../src/contract/admin-tokens.js";
import type { CreateClusterResponse } from "../../src/contract/schemas.js";
import { type RunningDirectory, startDirectory } from "../support/directory.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const READ_TOKEN = "cli-e2e-read-token-0123456789";

let dir: RunningDirectory;
beforeAll(async () => {
  dir = await startDirectory({ vars: { ADMIN_READ_TOKEN: READ_TOKEN } });
});
afterAll(async () => {
  await dir?.stop();
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/peerdir.mjs with only the environment given (PEERDIR_* from the directory by default). */
function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  const base: Record<string, string | undefined> = { PATH: process.env.PATH, PEERDIR_URL: dir.url, PEERDIR_ADMIN_TOKEN: dir.adminToken, ...env };
  const clean = Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const child = spawn(process.execPath, ["bin/peerdir.mjs", ...args], { cwd: root, env: clean, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

async function ok(args: string[], env?: Record<string, string | undefined>): Promise<string> {
  const r = await cli(args, env);
  if (r.code !== 0) throw new Error(`peerdir ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function json<T>(args: string[]): Promise<T> {
  return JSON.parse(await ok(["--json", ...args])) as T;
}

async function admin<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${dir.url}/v1/admin${path}`, { headers: { Authorization: `Bearer ${dir.adminToken}` } });
  return { status: res.status, body: (res.status === 200 ? await res.json() : null) as T };
}

function register(cluster: string, node: string, token: string, addr = "/ip4/127.0.0.1/tcp/5001") {
  return fetch(`${dir.url}/v1/clusters/${cluster}/nodes/${node}`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ addrs: [addr], labels: { zone: "z1" }, ttlSeconds: 600 }),
  });
}

async function registered(cluster: string, node: string, token: string, addr?: string): Promise<string> {
  const res = await register(cluster, node, token, addr);
  expect(res.status).toBe(201);
  return ((await res.json()) as { credential: string }).credential;
}

/** The API refused: exit 1 and exactly one line on stderr. */
function refused(r: Result, pattern: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(pattern);
}

describe("peerdir cluster", () => {
  it("creates a cluster and prints its join token once, labelled, and the token works", async () => {
    const out = await ok(["cluster", "create", "cli-create"]);
    expect(out).toMatch(/^Created cluster cli-create at \S+\.\nJoin token \(shown only this once; the directory keeps only its hash\):\n {2}(pdj_\S+)\n$/);
    const token = /\n {2}(pdj_\S+)\n$/.exec(out)![1];
    expect((await register("cli-create", "n1", token)).status).toBe(201);

    const again = await cli(["cluster", "create", "cli-create"]);
    refused(again, /^peerdir: Conflict \(409\): .*cli-create/);

    const created = await json<CreateClusterResponse>(["cluster", "create", "cli-create-json"]);
    expect(created).toMatchObject({ name: "cli-create-json", joinToken: expect.stringMatching(/^pdj_/) });
  });

  it("lists and shows clusters as the API does, in tables or as JSON", async () => {
    await ok(["cluster", "create", "cli-list"]);
    const listed = await json<ClusterList>(["cluster", "list"]);
    expect(listed).toEqual((await admin<ClusterList>("/clusters")).body);
    expect(listed.clusters.map((c) => c.name)).toContain("cli-list");

    const table = await ok(["cluster", "list"]);
    expect(table.split("\n")[0]).toMatch(/^NAME +NODES +VERSION +CREATED +DEGRADED$/);
    expect(table).toMatch(/^cli-list +0 +\d+ +\S+Z +-$/m);

    const shown = await json<ClusterDetail>(["cluster", "show", "cli-list"]);
    expect(shown).toEqual((await admin<ClusterDetail>("/clusters/cli-list")).body);
    const human = await ok(["cluster", "show", "cli-list"]);
    expect(human).toMatch(/^name +cli-list$/m);
    expect(human).toMatch(/^default-ttl +60s$/m);
    expect(human).toMatch(/^default-limit +64$/m);
  });

  it("changes settings, and reports the directory's 400 in one line", async () => {
    await ok(["cluster", "create", "cli-set"]);
    const updated = await json<ClusterDetail>([
      "cluster",
      "set",
      "cli-set",
      "--min-ttl",
      "5",
      "--default-ttl",
      "30",
      "--max-ttl",
      "900",
      "--max-nodes",
      "50",
      "--min-interval",
      "0.5",
      "--default-limit",
      "3",
    ]);
    expect(updated.settings).toEqual({
      minTtlSeconds: 5,
      defaultTtlSeconds: 30,
      maxTtlSeconds: 900,
      maxNodes: 50,
      minIntervalSeconds: 0.5,
      defaultLimit: 3,
      addressPolicy: "any",
      probing: "on",
      probeRanges: [],
    });
    expect((await admin<ClusterDetail>("/clusters/cli-set")).body.settings).toEqual(updated.settings);

    const none = await ok(["cluster", "set", "cli-set", "--default-limit", "none", "--address-policy", "observed-ip"]);
    expect(none).toMatch(/^default-limit +none \(every peer\)$/m);
    expect(none).toMatch(/^address-policy +observed-ip$/m);
    expect(none).toMatch(/^degraded +no$/m);

    const probes = await ok(["cluster", "set", "cli-set", "--probing", "off", "--probe-ranges", "127.0.0.0/8,fd00::/8"]);
    expect(probes).toMatch(/^probing +off \(agents probe no peer\)$/m);
    expect(probes).toMatch(/^probe-ranges +127\.0\.0\.0\/8, fd00::\/8$/m);
    expect((await admin<ClusterDetail>("/clusters/cli-set")).body.settings).toMatchObject({ probing: "off", probeRanges: ["127.0.0.0/8", "fd00::/8"] });
    expect(await ok(["cluster", "set", "cli-set", "--probe-ranges", "any"])).toMatch(/^probe-ranges +any$/m);
    refused(await cli(["cluster", "set", "cli-set", "--probe-ranges", "127.0.0.1"]), /^peerdir: Bad request \(400\): .*probeRanges\/0.*not an address range/);
    expect((await cli(["cluster", "set", "cli-set", "--probing", "maybe"])).code).toBe(2);

    refused(await cli(["cluster", "set", "cli-set", "--min-ttl", "1000"]), /^peerdir: Bad request \(400\): .*minTtlSeconds/);
    refused(await cli(["cluster", "set", "cli-set", "--min-interval", "99999"]), /^peerdir: Bad request \(400\): .*\/minIntervalSeconds/);
    expect((await admin<ClusterDetail>("/clusters/cli-set")).body.settings.minTtlSeconds).toBe(5);
  });

  it("deletes a cluster only with --yes", async () => {
    await ok(["cluster", "create", "cli-delete"]);
    const refusedDelete = await cli(["cluster", "delete", "cli-delete"]);
    expect(refusedDelete.code).toBe(2);
    expect(refusedDelete.stderr).toMatch(/^peerdir: this deletes cluster cli-delete with all its leases, join tokens, overrides and audit log; run again with --yes to confirm\n/);
    expect((await admin("/clusters/cli-delete")).status).toBe(200);

    expect(await ok(["cluster", "delete", "cli-delete", "--yes"])).toBe("Deleted cluster cli-delete.\n");
    expect((await admin("/clusters/cli-delete")).status).toBe(404);
    expect((await json<ClusterList>(["cluster", "list"])).clusters.map((c) => c.name)).not.toContain("cli-delete");
    refused(await cli(["cluster", "show", "cli-delete"]), /^peerdir: Not found \(404\): /);
    expect(await ok(["--json", "cluster", "delete", "cli-list-gone", "--yes"]).catch((e: Error) => e.message)).toMatch(/exited 1: peerdir: Not found \(404\)/);
  });
});

describe("peerdir cluster expire", () => {
  it("ends the leases past their expiry and says how many", async () => {
    const { joinToken } = await json<CreateClusterResponse>(["cluster", "create", "cli-expire"]);
    await registered("cli-expire", "n1", joinToken);
    expect(await ok(["cluster", "expire", "cli-expire"])).toBe("Expired 0 leases past their expiry in cluster cli-expire.\n");
    expect(await json<{ expired: number }>(["cluster", "expire", "cli-expire"])).toEqual({ expired: 0 });
    expect((await json<NodeList>(["node", "list", "cli-expire"])).nodes.map((n) => n.id)).toEqual(["n1"]);
    refused(await cli(["cluster", "expire", "cli-expire-missing"]), /^peerdir: Not found \(404\): /);
  });
});

describe("peerdir join-token", () => {
  it("creates, lists and revokes join tokens; the secret is printed only on creation", async () => {
    await ok(["cluster", "create", "cli-tokens"]);
    const created = await json<CreatedJoinToken>(["join-token", "create", "cli-tokens", "--expires-at", "2030-01-01T00:00:00Z"]);
    expect(created).toMatchObject({ id: expect.any(String), token: expect.stringMatching(/^pdj_/), expiresAt: "2030-01-01T00:00:00.000Z" });

    const human = await ok(["join-token", "create", "cli-tokens"]);
    expect(human).toMatch(
      /^Created join token \S+ for cluster cli-tokens \(expires: never\)\.\nJoin token \(shown only this once; the directory keeps only its hash\):\n {2}pdj_\S+\n$/,
    );

    const listed = await json<JoinTokenList>(["join-token", "list", "cli-tokens"]);
    expect(listed).toEqual((await admin<JoinTokenList>("/clusters/cli-tokens/join-tokens")).body);
    expect(listed.joinTokens.map((t) => t.id)).toContain(created.id);
    const table = await ok(["join-token", "list", "cli-tokens"]);
    expect(table).toMatch(new RegExp(`^${created.id} +\\S+ +2030-01-01T00:00:00.000Z$`, "m"));
    expect(table).not.toContain("pdj_");

    expect((await register("cli-tokens", "before-revoke", created.token)).status).toBe(201);
    expect(await ok(["join-token", "revoke", "cli-tokens", created.id])).toBe(`Revoked join token ${created.id} of cluster cli-tokens.\n`);
    expect((await register("cli-tokens", "after-revoke", created.token)).status).toBe(401);
    expect((await json<JoinTokenList>(["join-token", "list", "cli-tokens"])).joinTokens.map((t) => t.id)).not.toContain(created.id);
    refused(await cli(["join-token", "revoke", "cli-tokens", created.id]), /^peerdir: Not found \(404\): /);
  });
});

describe("peerdir token (named admin tokens)", () => {
  it("mints a scoped token shown once, which then sees only its cluster and signs the audit; lists and revokes it", async () => {
    await ok(["cluster", "create", "cli-team"]);
    await ok(["cluster", "create", "cli-other"]);
    const human = await ok(["token", "create", "cli-team-ci", "--role", "write", "--cluster", "cli-team", "--expires-at", "2099-01-01T00:00:00Z"]);
    expect(human).toMatch(
      /^Created admin token cli-team-ci \(id \S+\): write on cli-team, expires: 2099-01-01T00:00:00.000Z\.\nAdmin token \(shown only this once; the directory keeps only its hash\):\n {2}pda_cli-team-ci\.\S+\n$/,
    );
    const token = /\n {2}(pda_\S+)\n$/.exec(human)![1];
    const listed = await json<AdminTokenList>(["token", "list"]);
    const mine = listed.tokens.find((t) => t.name === "cli-team-ci")!;
    expect(mine).toMatchObject({ role: "write", clusters: ["cli-team"], createdBy: "root" });
    const table = await ok(["token", "list"]);
    expect(table).toMatch(new RegExp(`^${mine.id} +cli-team-ci +write +cli-team +\\S+ +root +2099-01-01T00:00:00.000Z$`, "m"));
    expect(table).not.toContain("pda_");

    const asTeam = { PEERDIR_ADMIN_TOKEN: token };
    expect((await ok(["cluster", "list"], asTeam)).split("\n").filter((l) => l.startsWith("cli-"))).toEqual([expect.stringMatching(/^cli-team /)]);
    refused(await cli(["cluster", "show", "cli-other"], asTeam), /^peerdir: Forbidden \(403\): admin token "cli-team-ci" is scoped to cluster cli-team/);
    refused(await cli(["token", "list"], asTeam), /^peerdir: Forbidden \(403\): /);
    await ok(["drain", "cli-team", "n1", "--reason", "by the team"], asTeam);
    const audit = await ok(["audit", "cli-team", "--actor", "cli-team-ci"]);
    expect(audit).toMatch(/^\d+ +\S+ +admin:cli-team-ci +override\.set +n1 +by the team$/m);
    expect(audit).not.toContain("admin:root");

    expect(await ok(["token", "revoke", mine.id])).toBe(`Revoked admin token ${mine.id}; it is refused everywhere within a minute.\n`);
    refused(await cli(["cluster", "list"], asTeam), /^peerdir: Unauthorized \(401\): admin token "cli-team-ci" has been revoked/);
    expect((await json<AdminTokenList>(["token", "list"])).tokens.map((t) => t.name)).not.toContain("cli-team-ci");
  });
});

describe("nodes, overrides and the handout preview", () => {
  it("lists nodes, pins, blocks, drains, lifts, evicts and revokes, and the handout follows", { timeout: 180_000 }, async () => {
    const { joinToken } = await json<CreateClusterResponse>(["cluster", "create", "cli-nodes"]);
    const credA = await registered("cli-nodes", "node-a", joinToken, "/ip4/127.0.0.1/tcp/5001");
    const credB = await registered("cli-nodes", "node-b", joinToken, "/ip4/127.0.0.2/tcp/5001");
    await registered("cli-nodes", "node-c", joinToken, "/ip4/127.0.0.3/tcp/5001");

    const nodes = await json<NodeList>(["node", "list", "cli-nodes"]);
    expect(nodes).toEqual((await admin<NodeList>("/clusters/cli-nodes/nodes")).body);
    expect(nodes.nodes.map((n) => [n.id, n.source, n.state])).toEqual([
      ["node-a", "lease", "active"],
      ["node-b", "lease", "active"],
      ["node-c", "lease", "active"],
    ]);
    const table = await ok(["node", "list", "cli-nodes"]);
    expect(table.split("\n")[0]).toMatch(/^ID +STATE +READY +REACHABILITY +CONSUMERS +SOURCE +ADDRS +LABELS +EXPIRES +RENEWED +REGISTERED +IP$/);
    expect(table).toMatch(/^node-a +active +yes +unknown +- +lease +\/ip4\/127\.0\.0\.1\/tcp\/5001 +zone=z1 +in \S+ +\S+/m);

    const pinned = await json<Override>([
      "pin",
      "cli-nodes",
      "seed-1",
      "--addr",
      "/ip4/127.0.0.9/tcp/4001",
      "--addr",
      "/dns4/localhost/tcp/4001",
      "--label",
      "role=seed",
      "--reason",
      "static seed",
    ]);
    expect(pinned).toMatchObject({
      node: "seed-1",
      action: "pin",
      addrs: ["/ip4/127.0.0.9/tcp/4001", "/dns4/localhost/tcp/4001"],
      labels: { role: "seed" },
      reason: "static seed",
      expiresAt: null,
    });

    const blocked = await ok(["block", "cli-nodes", "node-b", "--reason", "compromised host"]);
    expect(blocked).toMatch(/^Blocked node-b in cluster cli-nodes\.\n/);
    expect(blocked).toMatch(/^reason +compromised host$/m);
    const renewB = await register("cli-nodes", "node-b", credB, "/ip4/127.0.0.2/tcp/5001");
    expect(renewB.status).toBe(403);

    const drained = await ok(["drain", "cli-nodes", "node-c", "--reason", "kernel upgrade", "--expires-at", "2030-01-01T00:00:00Z"]);
    expect(drained).toMatch(/^expires +2030-01-01T00:00:00\.000Z$/m);

    const overrides = await json<OverrideList>(["override", "list", "cli-nodes"]);
    expect(overrides).toEqual((await admin<OverrideList>("/clusters/cli-nodes/overrides")).body);
    expect(overrides.overrides.map((o) => [o.node, o.action]).sort()).toEqual([
      ["node-b", "block"],
      ["node-c", "drain"],
      ["seed-1", "pin"],
    ]);
    expect(await ok(["override", "list", "cli-nodes"])).toMatch(/^node-b +block +- +- +compromised host +\S+ +never$/m);

    const handout = await json<Handout>(["handout", "cli-nodes", "node-a"]);
    expect(handout).toEqual((await admin<Handout>("/clusters/cli-nodes/nodes/node-a/handout")).body);
    expect(handout.peers.map((p) => p.id)).toEqual(["seed-1"]);
    const peersOfA = await fetch(`${dir.url}/v1/clusters/cli-nodes/nodes/node-a/peers`, { headers: { Authorization: `Bearer ${credA}` } });
    expect(((await peersOfA.json()) as Handout).peers).toEqual(handout.peers);
    const humanHandout = await ok(["handout", "cli-nodes", "node-a"]);
    expect(humanHandout).toMatch(
      /^node-a would receive 1 peer \(version \d+\)\.\nID +ADDRS +LABELS\nseed-1 +\/ip4\/127\.0\.0\.9\/tcp\/4001 +role=seed\n +\/dns4\/localhost\/tcp\/4001\n$/,
    );

    const states = (await json<NodeList>(["node", "list", "cli-nodes"])).nodes.map((n) => [n.id, n.source, n.state]);
    expect(states).toEqual([
      ["node-a", "lease", "active"],
      ["node-b", "lease", "blocked"],
      ["node-c", "lease", "draining"],
      ["seed-1", "pin", "active"],
    ]);

    expect(await ok(["unset", "cli-nodes", "node-c"])).toBe("Lifted the override of node-c in cluster cli-nodes.\n");
    expect((await json<Handout>(["handout", "cli-nodes", "node-a"])).peers.map((p) => p.id)).toEqual(["node-c", "seed-1"]);
    expect((await json<Handout>(["handout", "cli-nodes", "node-a", "--limit", "1"])).peers).toHaveLength(1);
    refused(await cli(["unset", "cli-nodes", "node-c"]), /^peerdir: Not found \(404\): /);

    expect(await ok(["evict", "cli-nodes", "node-c", "--reason", "stale"])).toBe("Evicted node-c from cluster cli-nodes; its lease has ended.\n");
    expect((await json<Handout>(["handout", "cli-nodes", "node-a"])).peers.map((p) => p.id)).toEqual(["seed-1"]);

    expect(await ok(["credential", "revoke", "cli-nodes", "node-a"])).toBe("Revoked the credential of node-a in cluster cli-nodes; it must register again with a join token.\n");
    expect((await register("cli-nodes", "node-a", credA)).status).toBe(401);
    expect(await ok(["--json", "unset", "cli-nodes", "seed-1"])).toBe("");
    expect((await json<NodeList>(["node", "list", "cli-nodes"])).nodes.map((n) => n.id)).toEqual(["node-b"]);

    refused(await cli(["pin", "cli-nodes", "x", "--addr", "not-a-multiaddr", "--reason", "r"]), /^peerdir: Bad request \(400\): .*\/addrs\/0/);
  });
});

describe("peerdir audit", () => {
  it("pages newest first, says how to get the next page, and --all follows it to the end", async () => {
    await ok(["cluster", "create", "cli-audit"]);
    for (const n of ["a", "b", "c"]) await ok(["block", "cli-audit", n, "--reason", `reason ${n}`]);
    await ok(["cluster", "set", "cli-audit", "--default-ttl", "90"]);

    const first = await cli(["audit", "cli-audit", "--limit", "2"]);
    expect(first.code).toBe(0);
    const lines = first.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^SEQ +AT +ACTOR +ACTION +NODE +REASON$/);
    expect(lines[1]).toMatch(/^\d+ +\S+ +admin:root +cluster\.update +- +-$/);
    expect(lines[2]).toMatch(/^\d+ +\S+ +admin:root +override\.set +c +reason c$/);
    expect(lines).toHaveLength(3);
    const next = /^More entries: peerdir audit cli-audit --limit 2 --cursor (\d+)\n$/.exec(first.stderr);
    expect(next).not.toBeNull();

    const second = await json<AuditPage>(["audit", "cli-audit", "--limit", "2", "--cursor", next![1]]);
    expect(second.entries.map((e) => [e.action, e.node])).toEqual([
      ["override.set", "b"],
      ["override.set", "a"],
    ]);

    const all = await json<AuditPage>(["audit", "cli-audit", "--all", "--limit", "2"]);
    expect(all.next).toBeNull();
    expect(all.entries.slice(0, 4).map((e) => [e.action, e.node])).toEqual([
      ["cluster.update", null],
      ["override.set", "c"],
      ["override.set", "b"],
      ["override.set", "a"],
    ]);
    expect(all.entries.at(-1)!.action).toBe("cluster.create");
    const seqs = all.entries.map((e) => e.seq);
    expect([...seqs].sort((x, y) => y - x)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect((await admin<AuditPage>("/clusters/cli-audit/audit?limit=1000")).body.entries).toEqual(all.entries);
  });
});

describe("connection, tokens and errors", () => {
  it("reports a wrong token in one line, never echoing it", async () => {
    const wrong = "wrong-token-that-must-not-be-printed";
    const r = await cli(["cluster", "list"], { PEERDIR_ADMIN_TOKEN: wrong });
    refused(r, /^peerdir: Unauthorized \(401\): .*\(check PEERDIR_ADMIN_TOKEN or --token-file\)$/);
    expect(r.stderr).not.toContain(wrong);
  });

  it("lets the read token read and reports its refusal to write", async () => {
    expect((await cli(["cluster", "list"], { PEERDIR_ADMIN_TOKEN: READ_TOKEN })).code).toBe(0);
    refused(await cli(["cluster", "create", "cli-read-only"], { PEERDIR_ADMIN_TOKEN: READ_TOKEN }), /^peerdir: Forbidden \(403\): /);
  });

  it("takes --url and --token-file over the environment", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "peerdir-cli-")), "admin-token");
    writeFileSync(file, `${dir.adminToken}\n`, { mode: 0o600 });
    const out = await ok(["cluster", "list", "--url", dir.url, "--token-file", file], { PEERDIR_URL: "http://127.0.0.1:1", PEERDIR_ADMIN_TOKEN: "wrong" });
    expect(out.split("\n")[0]).toMatch(/^NAME/);
  });

  it("exits 2 on usage and configuration errors, 1 when the directory cannot be reached", async () => {
    const noUrl = await cli(["cluster", "list"], { PEERDIR_URL: undefined });
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/^peerdir: no directory URL: set PEERDIR_URL or pass --url/);

    const noToken = await cli(["cluster", "list"], { PEERDIR_ADMIN_TOKEN: undefined });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/^peerdir: no admin token/);

    const bad = await cli(["pin", "cli-x", "n", "--reason", "r"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("peerdir: peerdir pin needs --addr MULTIADDR\nRun `peerdir pin --help` for usage.\n");

    const unknown = await cli(["clusters"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('peerdir: unknown command "clusters"; did you mean "peerdir cluster"?\nRun `peerdir --help` for usage.\n');

    // A time without a zone is refused before any request, with the fix.
    const noZone = await cli(["block", "cli-x", "n", "--reason", "r", "--expires-at", "2030-01-01T00:00:00"]);
    expect(noZone.code).toBe(2);
    expect(noZone.stderr).toMatch(/^peerdir: --expires-at 2030-01-01T00:00:00 has no time zone; add Z for UTC or an offset/);

    const down = await cli(["cluster", "list"], { PEERDIR_URL: "http://127.0.0.1:2" });
    refused(down, /^peerdir: cannot reach the directory at http:\/\/127\.0\.0\.1:2: /);
  });

  it("documents every command under --help with exit 0", async () => {
    const main = await cli(["--help"], { PEERDIR_URL: undefined, PEERDIR_ADMIN_TOKEN: undefined });
    expect(main.code).toBe(0);
    expect(main.stdout).toContain("Usage: peerdir");
    for (const command of ["cluster set", "join-token create", "token create", "pin", "audit"]) {
      const r = await cli([...command.split(" "), "--help"], { PEERDIR_URL: undefined });
      expect(r.code).toBe(0);
      expect(r.stdout.startsWith(`Usage: peerdir ${command}`)).toBe(true);
    }
  });
});
