// The agent as operators run it: real `peerdir-agent` processes against the real directory Worker
// in local workerd, through register, steady state, a crash, a clean exit, a directory outage,
// an agent restart during the outage, and the directory's return on the same persisted state.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCluster, type RunningDirectory, startDirectory } from "../support/directory.js";
import { type AgentProcess, freePort, get, getJson, killAll, peerId, running, spawnAgent, waitFor } from "./agent-harness.js";
import { PEER_LOG_WINDOW_MS } from "../../src/agent/peer-change-log.js";

interface AddrInfo {
  ID: string;
  Addrs: string[];
}
interface PeersView {
  version: number;
  peers: { id: string; addrs: string[] }[];
  stale: boolean;
  syncedAt: string | null;
}

const TTL = 10; // the directory's minimum lease
const POLL = 1.5; // with renewals at ~ttl/3 this stays under the directory's 1 request/s per node
const NODES = ["n0", "n1", "n2", "n3", "n4"];

const work = mkdtempSync(join(tmpdir(), "peerdir-agent-e2e-"));
let directory: RunningDirectory;
const agents = new Map<string, AgentProcess>();
const ids = new Map<string, string>();
let agentArgs: (node: string) => string[];
let downAt = 0;

function start(node: string, port: number): AgentProcess {
  const agent = spawnAgent(node, port, agentArgs(node));
  agents.set(node, agent);
  return agent;
}

const live = () => [...agents.values()].filter(running);

/** What `observer` must serve on every endpoint when exactly `others` are its peers. */
async function servesExactly(observer: AgentProcess, others: string[]): Promise<true | undefined> {
  const expectedIds = others.map((n) => ids.get(n)!).sort();
  const peers = await getJson<PeersView>(observer, "/peers");
  if (JSON.stringify(peers.peers.map((p) => p.id).sort()) !== JSON.stringify([...others].sort())) return undefined;
  for (const path of ["/v1-k3s/p2p", "/v1-rke2/p2p"]) {
    const list = await getJson<string[]>(observer, path);
    const seen = [...new Set(list.map((s) => s.split("/p2p/")[1]!))].sort();
    if (JSON.stringify(seen) !== JSON.stringify(expectedIds)) return undefined;
  }
  const boot = await getJson<AddrInfo[]>(observer, "/bootstrap");
  if (JSON.stringify(boot.map((b) => b.ID).sort()) !== JSON.stringify(expectedIds)) return undefined;
  if (others.length === 0) return (await get(observer, "/id")).status === 503 ? true : undefined;
  const id = await getJson<AddrInfo>(observer, "/id");
  return expectedIds.includes(id.ID) ? true : undefined;
}

/** Whether each of `nodes` serves exactly the others (true), or not yet (undefined): a `waitFor` probe. */
async function eachServesTheOthers(nodes: string[]): Promise<true | undefined> {
  for (const n of nodes)
    if (
      !(await servesExactly(
        agents.get(n)!,
        nodes.filter((x) => x !== n),
      ))
    )
      return undefined;
  return true;
}

beforeAll(async () => {
  directory = await startDirectory({ persistDir: join(work, "directory") });
  const { joinToken } = await createCluster(directory.url, directory.adminToken, "agents");
  const tokenFile = join(work, "join-token");
  writeFileSync(tokenFile, `${joinToken}\n`, { mode: 0o600 });
  for (const node of NODES) ids.set(node, await peerId());
  agentArgs = (node) => {
    const i = NODES.indexOf(node);
    const id = ids.get(node)!;
    return [
      "--directory",
      directory.url,
      "--cluster",
      "agents",
      "--join-token-file",
      tokenFile,
      "--addr",
      `/ip4/127.0.0.1/tcp/${5000 + i}/p2p/${id}`,
      // An address without /p2p: it inherits the node's peer id in every handout.
      "--addr",
      `/ip4/127.0.0.2/udp/${5000 + i}/quic-v1`,
      "--label",
      `index=${i}`,
      "--ttl",
      String(TTL),
      "--poll-interval",
      String(POLL),
      "--state-dir",
      join(work, "state", node),
      "--peers-file",
      join(work, "out", `${node}.json`),
      "--log-format",
      "json",
    ];
  };
  for (const node of NODES) start(node, await freePort());
});

afterAll(async () => {
  await killAll([...agents.values()]);
  await directory?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("peerdir-agent against the real directory", () => {
  it("five agents see each other on every endpoint within 2 s", async () => {
    await waitFor(
      "every agent to sync",
      async () => {
        for (const a of live()) if ((await get(a, "/healthz")).status !== 200) return undefined;
        return true;
      },
      15_000,
      live(),
    );
    // From the moment the last one is registered and synced, everyone must see everyone.
    const { ms } = await waitFor(
      "all agents to see each other",
      async () => {
        for (const a of live())
          if (
            !(await servesExactly(
              a,
              NODES.filter((n) => n !== a.node),
            ))
          )
            return undefined;
        return true;
      },
      2_000,
      live(),
    );
    expect(ms).toBeLessThanOrEqual(2_000);

    const n0 = agents.get("n0")!;
    // k3s without Accept: application/json gets one address as text/plain.
    const text = await get(n0, "/v1-k3s/p2p");
    expect(text.status).toBe(200);
    expect(text.type).toMatch(/^text\/plain/);
    expect(await getJson<string[]>(n0, "/v1-k3s/p2p")).toContain(text.text);
    // The id-less QUIC address got the node's peer id; /id and /bootstrap carry no /p2p in Addrs.
    const k3s = await getJson<string[]>(n0, "/v1-k3s/p2p");
    expect(k3s).toContain(`/ip4/127.0.0.2/udp/5001/quic-v1/p2p/${ids.get("n1")}`);
    expect(k3s).toContain(`/ip4/127.0.0.1/tcp/5001/p2p/${ids.get("n1")}`);
    const id = await getJson<AddrInfo>(n0, "/id");
    expect(id.Addrs.length).toBe(2);
    expect(id.Addrs.every((a) => !a.includes("/p2p/"))).toBe(true);
    const peers = await getJson<PeersView>(n0, "/peers");
    expect(peers.stale).toBe(false);
    expect(peers.peers.find((p) => p.id === "n1")).toMatchObject({ labels: { index: "1" } });

    // The peers file, written atomically, holds the directory's JSON.
    const file = JSON.parse(readFileSync(join(work, "out", "n0.json"), "utf8")) as PeersView;
    expect(file.peers.map((p) => p.id).sort()).toEqual(["n1", "n2", "n3", "n4"]);
    // The credential is kept, private, in the state dir.
    const cred = join(work, "state", "n0", "agents", "n0", "credential.json");
    expect(statSync(cred).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(cred, "utf8")).credential).toMatch(/^pdn_/);

    const metrics = (await get(n0, "/metrics")).text;
    expect(metrics).toContain("peerdir_agent_peers 4\n");
    expect(metrics).toContain("peerdir_agent_stale 0\n");
    expect(metrics).toContain("peerdir_agent_directory_reachable 1\n");
    expect(metrics).toMatch(/peerdir_agent_requests_total\{request="register",result="ok"\} 1\n/);
    // Nothing listens on the advertised addresses: the probes' verdict settles first (a change,
    // logged once), then a steady state is silent at info: nothing logged per poll or renewal.
    await waitFor(
      "n0's peers to be marked unreachable",
      async () => {
        const { peers: seen } = await getJson<{ peers: { reachability?: string }[] }>(n0, "/peers");
        return seen.length === 4 && seen.every((p) => p.reachability === "unreachable") ? true : undefined;
      },
      20_000,
      live(),
    );
    // "peers changed" is logged at most once per window, so a line for the last changes may still
    // be pending: once the newest such line is a window old, nothing is pending; then expect silence.
    const lastPeersChanged = () => n0.logs.findLast((line) => line.includes('"msg":"peers changed"'));
    await waitFor(
      "n0's last peers-changed line to be a window old",
      async () => {
        const last = lastPeersChanged();
        return last === undefined || Date.now() - Date.parse(JSON.parse(last).time) > PEER_LOG_WINDOW_MS + 1000 ? true : undefined;
      },
      30_000,
      live(),
    );
    const before = n0.logs.length;
    await new Promise((r) => setTimeout(r, 2 * POLL * 1000));
    expect(n0.logs.slice(before)).toEqual([]);
  });

  it("a SIGKILLed agent is gone from every handout within its TTL plus one renew interval", async () => {
    const killed = agents.get("n4")!;
    killed.child.kill("SIGKILL");
    await killed.exited;
    const rest = ["n0", "n1", "n2", "n3"];
    const bound = (TTL + TTL / 2 + POLL) * 1000;
    const { ms } = await waitFor("n4 to vanish everywhere", () => eachServesTheOthers(rest), bound + 2_000, live());
    expect(ms).toBeLessThanOrEqual(bound);
  });

  it("a SIGTERMed agent leaves, exits 0 within 2 s, and is gone within one poll", async () => {
    const leaving = agents.get("n3")!;
    const t0 = Date.now();
    leaving.child.kill("SIGTERM");
    const exit = await leaving.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(2_500);
    expect(leaving.logs.some((l) => l.includes("left the directory"))).toBe(true);
    const rest = ["n0", "n1", "n2"];
    const { ms } = await waitFor("n3 to vanish everywhere", () => eachServesTheOthers(rest), 5_000, live());
    expect(ms).toBeLessThanOrEqual(POLL * 1.1 * 1000 + 1_000); // one poll, plus request time on a busy CI machine
  });

  it("with the directory down, agents keep serving the last peers, flagged stale in /peers and /metrics", async () => {
    await directory.stop();
    downAt = Date.now();
    const rest = ["n0", "n1", "n2"];
    await waitFor(
      "every agent to notice",
      async () => {
        for (const n of rest) {
          const p = await getJson<PeersView>(agents.get(n)!, "/peers");
          if (!p.stale) return undefined;
        }
        return true;
      },
      (POLL + 3) * 1000,
      live(),
    );
    for (const n of rest) {
      const a = agents.get(n)!;
      expect(
        await servesExactly(
          a,
          rest.filter((x) => x !== n),
        ),
      ).toBe(true);
      const metrics = (await get(a, "/metrics")).text;
      expect(metrics).toContain("peerdir_agent_stale 1\n");
      expect(metrics).toContain("peerdir_agent_directory_reachable 0\n");
      expect(metrics).toMatch(/peerdir_agent_requests_total\{request="(peers|renew)",result="network_error"\} [1-9]/);
      expect((await get(a, "/healthz")).status).toBe(200);
      expect(running(a)).toBe(true);
    }
    expect(agents.get("n0")!.logs.some((l) => l.includes("directory unreachable"))).toBe(true);
  });

  it("an agent restarted while the directory is down serves its persisted peers at once", async () => {
    const old = agents.get("n0")!;
    old.child.kill("SIGTERM");
    expect(await old.exited).toEqual({ code: 0, signal: null }); // leaving fails fast, the exit stays clean
    const restarted = start("n0", old.port);
    const { ms } = await waitFor(
      "the restarted agent to answer",
      async () => {
        const r = await get(restarted, "/peers").catch(() => undefined);
        return r?.status === 200 ? r : undefined;
      },
      5_000,
      [restarted],
    );
    expect(ms).toBeLessThan(5_000);
    const peers = await getJson<PeersView>(restarted, "/peers");
    expect(peers.peers.map((p) => p.id).sort()).toEqual(["n1", "n2"]);
    expect(peers.stale).toBe(true);
    expect(await servesExactly(restarted, ["n1", "n2"])).toBe(true);
    expect((await get(restarted, "/healthz")).status).toBe(503);
  });

  it("when the directory comes back on the same state, agents recover without a restart", async () => {
    // Stay down past the TTL, so every agent's own view of its lease has run out. The restarted
    // directory keeps each stored lease its TTL from the restart (docs/architecture.md#leases), so
    // the agents find them still live and renew them.
    await new Promise((r) => setTimeout(r, Math.max(0, downAt + (TTL + 1) * 1000 - Date.now())));
    directory = await startDirectory({ persistDir: directory.persistDir, port: directory.port });
    const rest = ["n0", "n1", "n2"];
    await waitFor(
      "every agent to be fresh again",
      async () => {
        for (const n of rest) {
          const a = agents.get(n)!;
          const p = await getJson<PeersView>(a, "/peers");
          if (p.stale || (await get(a, "/healthz")).status !== 200) return undefined;
          if (
            !(await servesExactly(
              a,
              rest.filter((x) => x !== n),
            ))
          )
            return undefined;
        }
        return true;
      },
      40_000,
      live(),
    );
    for (const n of rest) {
      const metrics = (await get(agents.get(n)!, "/metrics")).text;
      expect(metrics).toContain("peerdir_agent_stale 0\n");
      expect(metrics).toContain("peerdir_agent_directory_reachable 1\n");
      expect(metrics).toMatch(/peerdir_agent_lease_seconds_left [1-9]/);
    }
    const n1 = agents.get("n1")!.logs;
    expect(n1.some((l) => l.includes("directory reachable again"))).toBe(true);
    // The restarted directory kept the lease (restart grace): it was renewed, never re-created.
    expect(n1.some((l) => l.includes("lease had ended; registered again") || l.includes("lease lost"))).toBe(false);
    // The restarted agent kept its credential: it renewed with it, no join-token registration.
    expect((await get(agents.get("n0")!, "/metrics")).text).not.toContain('request="register"');
  });
});
