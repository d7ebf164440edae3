// What the directory knows of readiness and reachability outlasts hibernation and a restart:
// real agents on 127.0.0.x, real TCP listeners for some nodes and none for others, and the real
// Worker. Once two reporters have marked a node unreachable and another node says it is not
// ready, the cluster's object loses its memory twice: workerd hibernates it (evicts it with its
// sockets kept open), and then the whole directory restarts on its stored state. Both times
// every agent is paused (SIGSTOP) meanwhile, so nothing they send can restate what was lost:
// the admin view, the metrics and the handout order must come from storage alone.
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeView } from "../../src/contract/admin.js";
import { createCluster, type RunningDirectory, startDirectory } from "../support/directory.js";
import { type AgentProcess, freePort, killAll, peerId, spawnAgent, waitFor } from "./agent-harness.js";

const CLUSTER = "kept";
const VARS = { REACHABILITY_WINDOW_MS: "6000" };
const UP = ["n1", "n2", "n3"];
/** No listener and no self-check: only its peers' probes can tell. */
const SILENT = "n4";
/** No listener, with its self-check: it says it is not ready (and its peers find it unreachable too). */
const NOT_READY = "n5";
const NODES = [...UP, SILENT, NOT_READY];

const work = mkdtempSync(join(tmpdir(), "peerdir-kept-e2e-"));
let directory: RunningDirectory;
const agents: AgentProcess[] = [];
const listeners: Server[] = [];

async function admin(path: string): Promise<Response> {
  const res = await fetch(`${directory.url}/v1/admin/clusters/${CLUSTER}${path}`, { headers: { Authorization: `Bearer ${directory.adminToken}` } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res;
}

/** The three places a node's marks show: the admin view, the metrics, and a peer's handout order. */
async function observed() {
  const nodes = new Map(((await (await admin("/nodes")).json()) as { nodes: NodeView[] }).nodes.map((n) => [n.id, n]));
  const metrics = await (await admin("/metrics")).text();
  const gauge = (state: string) =>
    Number(
      metrics
        .split("\n")
        .find((l) => l.startsWith(`peerdir_nodes_reachability{`) && l.includes(`state="${state}"`))
        ?.split(" ")
        .at(-1),
    );
  // A memory-only counter: it starts again from 0 in a fresh instance.
  const joins = Number(
    metrics
      .split("\n")
      .find((l) => l.startsWith("peerdir_joins_total{"))
      ?.split(" ")
      .at(-1),
  );
  const handout = (await (await admin("/nodes/n1/handout")).json()) as { peers: { id: string; ready?: boolean; reachability?: string }[] };
  return { nodes, unreachable: gauge("unreachable"), notReady: gauge("not_ready"), joins, order: handout.peers };
}

/**
 * Whether everything shows both silent nodes unreachable (two reporters or more) and the one
 * not ready last: the state the cluster settles in once every peer has probed both.
 */
function marked(o: Awaited<ReturnType<typeof observed>>): boolean {
  const unreachable = (id: string) => o.nodes.get(id)?.reachability.state === "unreachable" && o.nodes.get(id)!.reachability.failedReporters >= 2;
  return (
    unreachable(SILENT) &&
    unreachable(NOT_READY) &&
    o.nodes.get(NOT_READY)?.ready === false &&
    UP.every((n) => o.nodes.get(n)?.reachability.state === "reachable") &&
    o.unreachable === 2 &&
    o.notReady === 1 &&
    JSON.stringify(o.order.slice(-2).map((p) => [p.id, p.ready ?? true, p.reachability ?? "unknown"])) ===
      JSON.stringify([
        [SILENT, true, "unreachable"],
        [NOT_READY, false, "unreachable"],
      ])
  );
}

/** Runs `during` with every agent paused, so only storage can answer meanwhile. */
async function withAgentsPaused<T>(during: () => Promise<T>): Promise<T> {
  for (const a of agents) a.child.kill("SIGSTOP");
  try {
    return await during();
  } finally {
    for (const a of agents) a.child.kill("SIGCONT");
  }
}

beforeAll(async () => {
  directory = await startDirectory({ persistDir: join(work, "directory"), vars: VARS });
  const { joinToken } = await createCluster(directory.url, directory.adminToken, CLUSTER);
  const tokenFile = join(work, "join-token");
  writeFileSync(tokenFile, `${joinToken}\n`, { mode: 0o600 });
  for (const [i, node] of NODES.entries()) {
    const host = `127.0.0.${i + 11}`;
    const port = await freePort();
    if (UP.includes(node)) {
      const server = createServer((socket) => socket.destroy());
      server.listen(port, host);
      await once(server, "listening");
      listeners.push(server);
    }
    const args = ["--directory", directory.url, "--cluster", CLUSTER, "--join-token-file", tokenFile, "--addr", `/ip4/${host}/tcp/${port}/p2p/${await peerId()}`];
    args.push("--ttl", "10", "--probe-interval", "1", "--state-dir", join(work, "state", node), "--log-format", "json");
    if (node === SILENT) args.push("--no-self-check");
    agents.push(spawnAgent(node, await freePort(), args));
  }
});

afterAll(async () => {
  await killAll(agents);
  await Promise.all(listeners.map((s) => new Promise((resolve) => s.close(resolve))));
  await directory?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("readiness and reachability outlast the object's memory", () => {
  let before: Awaited<ReturnType<typeof observed>>;

  it("marks the silent node unreachable and the other not ready", async () => {
    ({ value: before } = await waitFor(
      "the marks in the admin view, the metrics and the handout order",
      async () => {
        const o = await observed();
        return marked(o) ? o : undefined;
      },
      40_000,
      agents,
    ));
  });

  it("keeps them after the object hibernates", async () => {
    const after = await withAgentsPaused(async () => {
      await directory.hibernate(CLUSTER);
      return observed();
    });
    // A fresh instance answered (its counters started anew), and from storage alone.
    expect(before.joins).toBe(NODES.length);
    expect(after.joins).toBe(0);
    expect(marked(after)).toBe(true);
    expect(after.order).toEqual(before.order);
  });

  it("keeps them after the directory restarts", async () => {
    const after = await withAgentsPaused(async () => {
      const { persistDir, port } = directory;
      await directory.stop();
      directory = await startDirectory({ persistDir, port, vars: VARS });
      return observed();
    });
    expect(marked(after)).toBe(true);
    expect(after.order.map((p) => p.id)).toEqual(before.order.map((p) => p.id));
    // And the agents carry on with the restarted directory: nothing moves back.
    await waitFor(
      "every agent back on the restarted directory, the marks unchanged",
      async () => ((await observed()).nodes.get("n1")?.transport === "watch" ? true : undefined),
      30_000,
      agents,
    );
    expect(marked(await observed())).toBe(true);
  });
});
