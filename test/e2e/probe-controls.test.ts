// The probe controls end to end: real agents, the real directory Worker, and real TCP listeners
// standing in for peers, each on its own 127.x.y.z address, counting the connections they accept.
// Each case is its own cluster with one agent, so every connection a listener sees is that agent's.
// The agent's self-check (every second with --probe-interval 1) is the clock: once its own
// listener has seen 8 checks after the agent got its peers (probes start on a 5 s grid, the first
// within a second of a peer's arrival, so every permitted peer has been probed by then, as the
// unrestricted case and the in-range peers show), a peer's listener that saw nothing was never probed.
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Peer } from "../../src/contract/schemas.js";
import { createCluster, type RunningDirectory, startDirectory } from "../support/directory.js";
import { type AgentProcess, freePort, getJson, killAll, spawnAgent, waitFor } from "./agent-harness.js";

/** A listener that counts the connections it accepts. */
interface Counter {
  host: string;
  port: number;
  accepted: number;
  server: Server;
}

const work = mkdtempSync(join(tmpdir(), "peerdir-probe-controls-"));
let directory: RunningDirectory;
const agents: AgentProcess[] = [];
const counters: Counter[] = [];

async function counter(host: string): Promise<Counter> {
  const c = { host, port: 0, accepted: 0 } as Counter;
  c.server = createServer((socket) => {
    c.accepted++;
    socket.destroy();
  });
  c.server.listen(0, host);
  await once(c.server, "listening");
  c.port = (c.server.address() as AddressInfo).port;
  counters.push(c);
  return c;
}

const addrOf = (c: Counter) => `/ip4/${c.host}/tcp/${c.port}`;

async function call(method: string, path: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${directory.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

interface Case {
  agent: AgentProcess;
  self: Counter;
  inRange: Counter;
  outOfRange: Counter;
}

/**
 * A cluster with two peers registered through the API (no agent: they probe nothing), one at
 * 127.<n>.1.1 ("in range") and one at 127.<n>.2.1, and one real agent at 127.<n>.0.1.
 */
async function startCase(n: number, name: string, agentFlags: string[], settings?: object): Promise<Case> {
  const { joinToken } = await createCluster(directory.url, directory.adminToken, name);
  if (settings) expect((await call("PATCH", `/v1/admin/clusters/${name}`, directory.adminToken, settings)).status).toBe(200);
  const [self, inRange, outOfRange] = [await counter(`127.${n}.0.1`), await counter(`127.${n}.1.1`), await counter(`127.${n}.2.1`)];
  for (const [peer, c] of [
    ["in-range", inRange],
    ["out-of-range", outOfRange],
  ] as const) {
    expect((await call("PUT", `/v1/clusters/${name}/nodes/${peer}`, joinToken, { addrs: [addrOf(c)], ttlSeconds: 600 })).status).toBe(201);
  }
  const tokenFile = join(work, `${name}.join-token`);
  writeFileSync(tokenFile, `${joinToken}\n`, { mode: 0o600 });
  const args = ["--directory", directory.url, "--cluster", name, "--join-token-file", tokenFile, "--addr", addrOf(self), "--ttl", "10", "--probe-interval", "1"];
  const agent = spawnAgent(`${name}-agent`, await freePort(), [...args, "--state-dir", join(work, "state", name), ...agentFlags]);
  agents.push(agent);
  return { agent, self, inRange, outOfRange };
}

/** Once the agent holds both peers, waits for `checks` more self-checks: about `checks` seconds of probing time. */
async function settle(c: Case, checks = 8): Promise<void> {
  await waitFor(
    `${c.agent.node} to get both peers`,
    async () => {
      const { peers } = await getJson<{ peers: Peer[] }>(c.agent, "/peers").catch(() => ({ peers: [] as Peer[] }));
      return peers.length === 2 ? true : undefined;
    },
    30_000,
    [c.agent],
  );
  const from = c.self.accepted;
  await waitFor(`${checks} self-checks of ${c.agent.node}`, async () => (c.self.accepted >= from + checks ? true : undefined), 30_000, [c.agent]);
}

let control: Case;
let agentOff: Case;
let agentRanges: Case;
let clusterOff: Case;
let clusterRanges: Case;

beforeAll(async () => {
  directory = await startDirectory();
  [control, agentOff, agentRanges, clusterOff, clusterRanges] = await Promise.all([
    startCase(11, "control", []),
    startCase(12, "agent-off", ["--no-probes"]),
    startCase(13, "agent-ranges", ["--probe-ranges", "127.13.1.0/24", "--probe-ranges", "fd00::/8"]),
    // Polling, so each renewal goes over HTTP and its answer brings a change of the setting.
    startCase(14, "cluster-off", ["--transport", "poll"], { probing: "off" }),
    startCase(15, "cluster-ranges", [], { probeRanges: ["127.15.1.0/24"] }),
  ]);
  // The same seconds of probing time for every case at once.
  await Promise.all([control, agentOff, agentRanges, clusterOff, clusterRanges].map((c) => settle(c)));
});

afterAll(async () => {
  await killAll(agents);
  await Promise.all(counters.map((c) => new Promise((resolve) => c.server.close(resolve))));
  await directory?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("probe controls, with real agents and listeners on 127.0.0.0/8", () => {
  it("unrestricted, an agent probes every peer it is handed", async () => {
    expect(control.inRange.accepted).toBeGreaterThanOrEqual(1);
    expect(control.outOfRange.accepted).toBeGreaterThanOrEqual(1);
  });

  it("--no-probes: the agent connects to no peer, only to its own address", async () => {
    expect(agentOff.inRange.accepted).toBe(0);
    expect(agentOff.outOfRange.accepted).toBe(0);
  });

  it("--probe-ranges: the agent probes the peer in range and never the one outside", async () => {
    expect(agentRanges.inRange.accepted).toBeGreaterThanOrEqual(1);
    expect(agentRanges.outOfRange.accepted).toBe(0);
  });

  it("the cluster's probeRanges: the same, set by the operator for every agent", async () => {
    expect(clusterRanges.inRange.accepted).toBeGreaterThanOrEqual(1);
    expect(clusterRanges.outOfRange.accepted).toBe(0);
  });

  it("the cluster's probing off: no agent probes; turned on again, the agent starts at its next renewal", async () => {
    expect(clusterOff.inRange.accepted).toBe(0);
    expect(clusterOff.outOfRange.accepted).toBe(0);
    // One line when the cluster's setting takes effect, not one per renewal.
    expect(clusterOff.agent.logs.filter((l) => l.includes("probes: off, by the cluster's settings"))).toHaveLength(1);
    expect((await call("PATCH", "/v1/admin/clusters/cluster-off", directory.adminToken, { probing: "on" })).status).toBe(200);
    await waitFor("probes to start", async () => (clusterOff.inRange.accepted >= 1 && clusterOff.outOfRange.accepted >= 1 ? true : undefined), 30_000, [clusterOff.agent]);
    expect(clusterOff.agent.logs.filter((l) => l.includes("probes: the cluster no longer restricts them"))).toHaveLength(1);
  });
});
