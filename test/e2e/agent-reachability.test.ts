// Reachability end to end: real agents on 127.0.0.1 advertising 127.0.0.x addresses, real TCP
// listeners for some nodes and none for others, the real directory Worker, and one node that
// lies in its reports. Timings are shortened (probes every second, a 6 s evidence window) so the
// whole file runs in well under a minute; the defaults are a minute and 3 minutes.
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeView } from "../../src/contract/admin.js";
import type { Peer } from "../../src/contract/schemas.js";
import { createCluster, type RunningDirectory, startDirectory } from "../support/directory.js";
import { type AgentProcess, freePort, get, getJson, killAll, peerId, spawnAgent, waitFor } from "./agent-harness.js";

const WINDOW_MS = 6_000;
const TTL = 10;
/** Agents with a listener (ready, reachable), one without and without self-check (only probes can tell), one without and with it (not ready). */
const UP = ["n1", "n2", "n3"];
const SILENT = "n4";
const NOT_READY = "n5";
const LIAR = "liar";
const NODES = [...UP, SILENT, NOT_READY];

const work = mkdtempSync(join(tmpdir(), "peerdir-reach-e2e-"));
let directory: RunningDirectory;
const agents = new Map<string, AgentProcess>();
const ids = new Map<string, string>();
const ports = new Map<string, number>();
const hosts = new Map<string, string>();
const listeners: Server[] = [];
let liarTimer: NodeJS.Timeout | null = null;
let liarCredential = "";
let joinToken = "";

async function listen(node: string): Promise<void> {
  const server = createServer((socket) => socket.destroy());
  server.listen(ports.get(node)!, hosts.get(node)!);
  await once(server, "listening");
  listeners.push(server);
}

const addrOf = (node: string) => `/ip4/${hosts.get(node)}/tcp/${ports.get(node)}/p2p/${ids.get(node)}`;

async function admin<T>(path: string): Promise<T> {
  const res = await fetch(`${directory.url}/v1/admin/clusters/reach${path}`, { headers: { Authorization: `Bearer ${directory.adminToken}` } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

const nodesById = async () => new Map((await admin<{ nodes: NodeView[] }>("/nodes")).nodes.map((n) => [n.id, n]));

/** The liar's renewal: it says every honest node failed, just now. */
async function lie(): Promise<void> {
  const reports = Object.fromEntries(UP.map((n) => [n, { result: "failed", ageSeconds: 0 }]));
  const res = await fetch(`${directory.url}/v1/clusters/reach/nodes/${LIAR}`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${liarCredential || joinToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({ addrs: [addrOf(LIAR)], ttlSeconds: TTL, reports }),
  });
  const body = (await res.json()) as { credential?: string };
  if (!res.ok) throw new Error(`liar: HTTP ${res.status} ${JSON.stringify(body)}`);
  if (body.credential) liarCredential = body.credential;
}

beforeAll(async () => {
  directory = await startDirectory({ vars: { REACHABILITY_WINDOW_MS: String(WINDOW_MS) } });
  ({ joinToken } = await createCluster(directory.url, directory.adminToken, "reach"));
  const tokenFile = join(work, "join-token");
  writeFileSync(tokenFile, `${joinToken}\n`, { mode: 0o600 });
  for (const [i, node] of [...NODES, LIAR].entries()) {
    ids.set(node, await peerId());
    hosts.set(node, `127.0.0.${i + 1}`);
    ports.set(node, await freePort());
  }
  for (const node of [...UP, LIAR]) await listen(node);
  await lie();
  liarTimer = setInterval(() => void lie().catch(() => {}), 1_000);
  for (const node of NODES) {
    const args = [
      "--directory",
      directory.url,
      "--cluster",
      "reach",
      "--join-token-file",
      tokenFile,
      "--addr",
      addrOf(node),
      "--ttl",
      String(TTL),
      "--probe-interval",
      "1",
      "--state-dir",
      join(work, "state", node),
      "--log-format",
      "json",
      ...(node === SILENT ? ["--no-self-check"] : []),
    ];
    agents.set(node, spawnAgent(node, await freePort(), args));
  }
});

afterAll(async () => {
  if (liarTimer) clearInterval(liarTimer);
  await killAll([...agents.values()]);
  await Promise.all(listeners.map((s) => new Promise((resolve) => s.close(resolve))));
  await directory?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The order an agent got from the directory (its /peers keeps the directory's order). */
const order = async (agent: AgentProcess) => (await getJson<{ peers: Peer[] }>(agent, "/peers")).peers;

describe("reachability with real agents and listeners", () => {
  const idsSeen = new Map<string, Set<string>>();

  it("drops a node with nothing listening to the end of every other node's handout, not-ready nodes last, and never serves either as /id", async () => {
    const all = [...agents.values()];
    const { ms } = await waitFor(
      "every agent to hand out the silent node after the others and the not-ready one last",
      async () => {
        for (const node of NODES) {
          const peers = await order(agents.get(node)!);
          const names = peers.map((p) => p.id);
          const expectedTail = [SILENT, NOT_READY].filter((n) => n !== node);
          if (names.length !== NODES.length) return undefined; // the others and the liar
          if (JSON.stringify(names.slice(-expectedTail.length)) !== JSON.stringify(expectedTail)) return undefined;
          if (node !== SILENT && peers.find((p) => p.id === SILENT)?.reachability !== "unreachable") return undefined;
        }
        return true;
      },
      30_000,
      all,
    );
    expect(ms).toBeLessThan(180_000);

    const view = await nodesById();
    expect(view.get(SILENT)).toMatchObject({ ready: true, reachability: { state: "unreachable" } });
    expect(view.get(SILENT)!.reachability.failedReporters).toBeGreaterThanOrEqual(2);
    expect(view.get(NOT_READY)!.ready).toBe(false);
    for (const node of UP) expect(view.get(node)!.reachability.state).toBe("reachable");
    const summary = await admin<{ reachability: { reachable: number; unreachable: number; notReady: number } }>("");
    expect(summary.reachability.unreachable).toBeGreaterThanOrEqual(1);
    expect(summary.reachability.notReady).toBe(1);

    // /bootstrap keeps the order; /id serves a peer that answers, never the silent or not-ready one.
    for (const node of UP) {
      const boot = await getJson<{ ID: string }[]>(agents.get(node)!, "/bootstrap");
      expect(boot.at(-1)!.ID).toBe(ids.get(NOT_READY));
      expect(boot.at(-2)!.ID).toBe(ids.get(SILENT));
      const metrics = (await get(agents.get(node)!, "/metrics")).text;
      expect(metrics).toMatch(/peerdir_agent_probes_total\{result="failed"\} [1-9]/);
      expect(metrics).toMatch(/peerdir_agent_probes_total\{result="ok"\} [1-9]/);
    }
    for (let round = 0; round < 10; round++) {
      for (const node of NODES) {
        const id = await getJson<{ ID: string }>(agents.get(node)!, "/id");
        if (!idsSeen.has(node)) idsSeen.set(node, new Set());
        idsSeen.get(node)!.add(id.ID);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const seen of idsSeen.values()) {
      expect(seen.has(ids.get(SILENT)!)).toBe(false);
      expect(seen.has(ids.get(NOT_READY)!)).toBe(false);
    }
  });

  it("a single lying reporter cannot demote anyone", async () => {
    // The liar has reported every honest node as failed once a second since the start.
    const view = await nodesById();
    for (const node of UP) {
      expect(view.get(node)!.reachability.state).toBe("reachable");
      expect(view.get(node)!.reachability.failedReporters).toBeLessThanOrEqual(1);
    }
    for (const node of NODES) {
      if (UP.includes(node)) continue;
      const peers = await order(agents.get(node)!);
      for (const up of UP) expect(peers.find((p) => p.id === up)?.reachability).toBe("reachable");
    }
  });

  it("keeps the states past the evidence window while nothing changes (watching agents report changes only)", async () => {
    // Two windows of steady state; the liar's reports keep the directory sweeping meanwhile.
    await new Promise((r) => setTimeout(r, 2 * WINDOW_MS));
    const view = await nodesById();
    expect(view.get(SILENT)!.reachability.state).toBe("unreachable");
    for (const node of UP) expect(view.get(node)!.reachability.state).toBe("reachable");
  });

  it("brings both back once a listener starts", async () => {
    await listen(SILENT);
    await listen(NOT_READY);
    await waitFor(
      "the silent node reachable and the not-ready one ready again",
      async () => {
        const view = await nodesById();
        if (view.get(SILENT)!.reachability.state !== "reachable" || view.get(NOT_READY)!.ready !== true) return undefined;
        for (const node of UP) {
          const peers = await order(agents.get(node)!);
          if (peers.some((p) => p.ready === false || p.reachability === "unreachable")) return undefined;
        }
        return true;
      },
      30_000,
      [...agents.values()],
    );
  });
});
