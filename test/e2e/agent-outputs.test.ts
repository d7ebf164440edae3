// The agent's side channels and its handling of the directory's refusals, each against the real
// directory: --on-change (debounced, serialised, exit status logged), a replaced node credential,
// and the per-node rate limit (429 + Retry-After).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCluster, type RunningDirectory, startDirectory } from "../support/directory.js";
import { type AgentProcess, freePort, get, getJson, killAll, peerId, spawnAgent, waitFor } from "./agent-harness.js";

const work = mkdtempSync(join(tmpdir(), "peerdir-agent-e2e-out-"));
let directory: RunningDirectory;
let joinToken = "";
const tokenFile = join(work, "join-token");
const spawned: AgentProcess[] = [];

beforeAll(async () => {
  directory = await startDirectory({ persistDir: join(work, "directory") });
  ({ joinToken } = await createCluster(directory.url, directory.adminToken, "outputs"));
  writeFileSync(tokenFile, joinToken, { mode: 0o600 });
});

afterAll(async () => {
  await killAll(spawned);
  await directory?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function agent(node: string, extra: string[] = [], dir = directory, cluster = "outputs"): Promise<AgentProcess> {
  const a = spawnAgent(node, await freePort(), [
    "--directory",
    dir.url,
    "--cluster",
    cluster,
    "--join-token-file",
    tokenFile,
    "--addr",
    `/ip4/127.0.0.1/tcp/6000/p2p/${await peerId()}`,
    "--state-dir",
    join(work, "state"),
    "--log-format",
    "json",
    ...extra,
  ]);
  spawned.push(a);
  return a;
}

/** Registers a node straight through the API, as another agent would. */
async function register(node: string, token: string, dir = directory, cluster = "outputs"): Promise<{ status: number; credential?: string }> {
  const res = await fetch(`${dir.url}/v1/clusters/${cluster}/nodes/${node}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ addrs: [`/ip4/127.1.0.1/tcp/5001/p2p/${await peerId()}`], ttlSeconds: 60 }),
  });
  const body = (await res.json().catch(() => ({}))) as { credential?: string };
  return { status: res.status, credential: body.credential };
}

const healthy = (a: AgentProcess) => waitFor(`${a.node} to sync`, async () => ((await get(a, "/healthz")).status === 200 ? true : undefined), 10_000, [a]);

describe("--on-change", () => {
  it("runs after changes, debounced and never two at once, with its exit status logged", async () => {
    const runs = join(work, "runs");
    const overlaps = join(work, "overlaps");
    const lock = join(work, "lock");
    const cmd = `if [ -e ${lock} ]; then echo overlap >> ${overlaps}; fi; touch ${lock}; sleep 1.5; rm ${lock}; echo "$PEERDIR_PEERS_COUNT" >> ${runs}; exit 3`;
    const a = await agent("watcher", ["--poll-interval", "1", "--on-change", cmd, "--peers-file", join(work, "watcher-peers.json")]);
    await healthy(a);
    // A burst of three joins inside the debounce window, then another while the command runs.
    for (const n of ["p1", "p2", "p3"]) expect((await register(n, joinToken)).status).toBe(201);
    await waitFor("the first run to start", async () => (existsSync(lock) ? true : undefined), 6_000, [a]);
    expect((await register("p4", joinToken)).status).toBe(201);
    await waitFor("a run that saw all four peers", async () => (existsSync(runs) && readFileSync(runs, "utf8").split("\n").includes("4") ? true : undefined), 10_000, [a]);
    const counts = readFileSync(runs, "utf8").trim().split("\n");
    expect(counts.length).toBeLessThanOrEqual(3); // debounced: not one run per join
    expect(existsSync(overlaps)).toBe(false); // serialised
    expect(a.logs.some((l) => l.includes("on-change command failed") && l.includes('"exitCode":3'))).toBe(true);
    expect((await get(a, "/metrics")).text).toMatch(/peerdir_agent_on_change_runs_total\{result="failed"\} [1-3]\n/);
    const file = JSON.parse(readFileSync(join(work, "watcher-peers.json"), "utf8")) as { peers: { id: string }[] };
    expect(file.peers.map((p) => p.id)).toEqual(["p1", "p2", "p3", "p4"]);
    a.child.kill("SIGTERM");
    expect((await a.exited).code).toBe(0);
  });
});

describe("credentials", () => {
  it("re-registers with the join token, logged once, when its stored credential was replaced", async () => {
    const first = await agent("phoenix");
    await healthy(first);
    first.child.kill("SIGTERM");
    expect((await first.exited).code).toBe(0);
    // While the agent is away, the id is registered afresh with the join token (a new credential)
    // and leaves again: the agent's stored credential no longer works.
    const other = await register("phoenix", joinToken);
    expect(other.status).toBe(201);
    const del = await fetch(`${directory.url}/v1/clusters/outputs/nodes/phoenix`, { method: "DELETE", headers: { authorization: `Bearer ${other.credential}` } });
    expect(del.status).toBe(204);

    const second = await agent("phoenix");
    await healthy(second);
    expect(second.logs.filter((l) => l.includes("rejected this node's credential")).length).toBe(1);
    const metrics = (await get(second, "/metrics")).text;
    expect(metrics).toContain('peerdir_agent_requests_total{request="renew",result="unauthorized"} 1\n');
    expect(metrics).toContain('peerdir_agent_requests_total{request="register",result="ok"} 1\n');
    const stored = JSON.parse(readFileSync(join(work, "state", "outputs", "phoenix", "credential.json"), "utf8")).credential;
    expect(stored).not.toBe(other.credential);
    expect(stored).toMatch(/^pdn_/);
  });

  it("logs a rejected join token once and retries slowly instead of looping", async () => {
    const badToken = join(work, "bad-token");
    writeFileSync(badToken, "pdj_not-a-real-token");
    const a = await agent("locked-out", ["--join-token-file", badToken, "--state-dir", join(work, "state-bad")]);
    await waitFor("the rejection to be logged", async () => (a.logs.some((l) => l.includes("join token was rejected")) ? true : undefined), 10_000, [a]);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(a.logs.filter((l) => l.includes("join token was rejected")).length).toBe(1);
    const metrics = (await get(a, "/metrics")).text;
    expect(metrics).toContain('peerdir_agent_requests_total{request="register",result="unauthorized"} 1\n');
    expect((await get(a, "/healthz")).status).toBe(503);
  });
});

describe("rate limit", () => {
  it("honours 429 Retry-After and stays synced", async () => {
    // A directory with a much tighter per-node limit than the agent's poll rate asks for.
    const tight = await startDirectory({ vars: { NODE_RATE_BURST: "3" } });
    try {
      const { joinToken: token } = await createCluster(tight.url, tight.adminToken, "tight");
      // One request per 2 s sustained (bursts of 3) instead of the default 1 per second.
      const patch = await fetch(`${tight.url}/v1/admin/clusters/tight`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${tight.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ minIntervalSeconds: 2 }),
      });
      expect(patch.status).toBe(200);
      writeFileSync(tokenFile, token);
      // Polling is what can outrun the limit; a watch or a long-poll makes no request per interval.
      const a = await agent("eager", ["--transport", "poll", "--poll-interval", "1", "--state-dir", join(work, "state-tight")], tight, "tight");
      await healthy(a);
      const total = async () => [...(await get(a, "/metrics")).text.matchAll(/^peerdir_agent_requests_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
      await waitFor("a 429", async () => ((await get(a, "/metrics")).text.includes('result="rate_limited"') ? true : undefined), 10_000, [a]);
      const before = await total();
      await new Promise((r) => setTimeout(r, 6_000));
      const made = (await total()) - before;
      // 0.5 request/s allowed: about 3 in 6 s, plus the odd refused one; never one per poll tick or more.
      expect(made).toBeLessThanOrEqual(6);
      expect(a.logs.filter((l) => l.includes("rate limited by the directory")).length).toBeGreaterThanOrEqual(1);
      const peers = await getJson<{ stale: boolean }>(a, "/peers");
      expect(peers.stale).toBe(false);
    } finally {
      writeFileSync(tokenFile, joinToken);
      await tight.stop();
    }
  });
});
