/**
 * The cost of reachability probes: one real agent with 100 peers in its handout, on 127.0.1.x
 * addresses, half of them with a real TCP listener (the probe connects) and half without (the
 * connection is refused). Three runs:
 *   - `baseline`: --probe-interval 3600, so after the first round no probe falls in the window;
 *   - `default`: the default --probe-interval (60 s), over at least 4 intervals, since a window of
 *     one interval catches a variable part of the jittered rounds;
 *   - `stress`: --probe-interval 1, to show the cost per probe.
 * `--seconds` (default 60) is the window of baseline and stress; default's is at least 240 s.
 * For each: probes per minute from the agent's own /metrics (peerdir_agent_probes_total), CPU %
 * of one core and RSS from /proc, directory requests per minute (reports ride on renewals, so
 * probing must not add any). Writes bench/results/probes.json.
 *
 *   node scripts/with-node.mjs node bench/probes.mjs [--seconds 60]
 */
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { agentMetrics, startAgent, waitHealthy } from "./lib/agents.mjs";
import { root, startDirectory } from "./lib/directory.mjs";
import { freePort } from "./lib/ports.mjs";
import { cpuModel, cpuSeconds, round, rssMiB, sleep } from "./lib/proc.mjs";

const PEERS = 100;
const secondsArg = process.argv.indexOf("--seconds");
const seconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 60;
const ID = "12D3KooWQYYD1DDK4HCYgXHiVaPLVBVpUMpZzDXjHZTJsU9rZPGR";

async function probesOf(agent) {
  const text = await (await fetch(`${agent.base}/metrics`)).text();
  const out = { ok: 0, failed: 0, unknown: 0 };
  for (const m of text.matchAll(/^peerdir_agent_probes_total\{result="(\w+)"\} (\d+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

async function run(name, probeInterval, seconds, dir, joinToken, tmp, port) {
  const tokenFile = join(tmp, "join-token");
  writeFileSync(tokenFile, joinToken);
  const agent = startAgent({
    directory: dir.url,
    cluster: "probes",
    node: `bench-${name}`,
    joinTokenFile: tokenFile,
    stateDir: join(tmp, `state-${name}`),
    port: await freePort(),
    addr: `/ip4/127.0.0.1/tcp/${port}/p2p/${ID}`,
    extraArgs: ["--probe-interval", String(probeInterval)],
  });
  try {
    await waitHealthy(agent);
    // The first round of probes (each new peer within 5 s) is start-up, not steady state.
    await sleep(10_000);
    const p0 = await probesOf(agent);
    const m0 = await agentMetrics(agent);
    const cpu0 = cpuSeconds(agent.pid);
    const rss = [];
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      await sleep(Math.min(1000, seconds * 1000 - (performance.now() - t0)));
      rss.push(rssMiB(agent.pid));
    }
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(agent.pid) - cpu0;
    const p1 = await probesOf(agent);
    const m1 = await agentMetrics(agent);
    const probes = p1.ok + p1.failed - (p0.ok + p0.failed);
    return {
      probeIntervalSeconds: probeInterval,
      probesPerMinute: round((probes * 60) / elapsed, 1),
      okPerMinute: round(((p1.ok - p0.ok) * 60) / elapsed, 1),
      failedPerMinute: round(((p1.failed - p0.failed) * 60) / elapsed, 1),
      cpuPercent: round((cpu / elapsed) * 100, 3),
      rssMiB: round(rss.reduce((a, b) => a + b, 0) / rss.length, 1),
      directoryRequestsPerMinute: round(((m1.requests - m0.requests) * 60) / elapsed, 1),
      windowSeconds: round(elapsed, 1),
    };
  } finally {
    await agent.stop();
  }
}

const tmp = mkdtempSync(join(tmpdir(), "peerdir-bench-probes-"));
const listeners = [];
const dir = await startDirectory();
try {
  execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { stdio: "ignore" });
  const { joinToken } = await dir.admin.createCluster("probes");
  for (let i = 0; i < PEERS; i++) {
    const host = `127.0.1.${i + 1}`;
    const port = 20_000 + i;
    if (i % 2 === 0) {
      const server = createServer((socket) => socket.destroy());
      server.listen(port, host);
      await once(server, "listening");
      listeners.push(server);
    }
    const res = await fetch(`${dir.url}/v1/clusters/probes/nodes/peer-${i}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${joinToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ addrs: [`/ip4/${host}/tcp/${port}/p2p/${ID}`], ttlSeconds: 3600 }),
    });
    if (res.status !== 201) throw new Error(`register peer-${i}: HTTP ${res.status}`);
  }
  // The agent's own address listens, so its self-check passes as on a healthy node.
  const own = createServer((socket) => socket.destroy());
  own.listen(0, "127.0.0.1");
  await once(own, "listening");
  listeners.push(own);
  const ownPort = own.address().port;

  const results = {};
  for (const [name, interval] of [
    ["baseline", 3600],
    ["default", 60],
    ["stress", 1],
  ]) {
    results[name] = await run(name, interval, name === "default" ? Math.max(seconds, 240) : seconds, dir, joinToken, tmp, ownPort);
    console.error(`probes ${name}: ${JSON.stringify(results[name])}`);
  }
  const out = {
    at: new Date().toISOString(),
    cpu: cpuModel(),
    node: process.version,
    peers: PEERS,
    peersListening: Math.ceil(PEERS / 2),
    note: "One agent; probes are TCP connects on loopback (half accepted, half refused). CPU % of one core over the window; noisy on a shared machine.",
    results,
  };
  writeFileSync(join(root, "bench/results/probes.json"), `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify(out, null, 2));
} finally {
  await Promise.all(listeners.map((s) => new Promise((r) => s.close(r))));
  await dir.stop();
  rmSync(tmp, { recursive: true, force: true });
}
