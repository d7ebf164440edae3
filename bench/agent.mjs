/**
 * Agent overhead: real agents in steady state with 100 peers each, for a window (60 s; quick
 * 10 s): CPU % of one core and RSS from /proc, requests per minute from each agent's own /metrics
 * (peerdir_agent_requests_total). Default agent options: the default transport (the watch) and
 * intervals, the cluster's default rate limit.
 *
 * Measured side by side, each in its own cluster of 100 peers: the agent on every Node.js major
 * found here (the system Node, 20 on the benchmark machine, and the launcher's Node 24), each
 * plain (`peerdir-agent` as its bin runs) and with `--lite-mode` (as deploy/systemd and the
 * DaemonSet run it; docs/agent.md#footprint). The top-level result is the plain agent on the
 * system Node (the oldest Node on PATH): what users run by default (`npx peerdir-agent`, or the
 * bin on `/usr/bin/node`), without npm's variables (see lib/agents.mjs). Next to each: Node's
 * own floor on that binary (an idle `setInterval`) and the agent's heap as its /metrics reports
 * it, so the RSS reads as floor + heap + the rest.
 *
 * The window starts once start-up is over: every agent is healthy and its first probe results
 * went to the directory (a `renewed` on the watch).
 *
 * Before the agents start (on a quiet machine): what counting one local consumer's request costs
 * (consumer-loop detection, lib/consumer-counting.mjs), against its goal of 1 µs.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { startDirectory, nodeAddr } from "./lib/directory.mjs";
import { agentMetrics, startAgent, waitHealthy } from "./lib/agents.mjs";
import { measureConsumerCounting } from "./lib/consumer-counting.mjs";
import { freePort } from "./lib/ports.mjs";
import { cpuSecondsFine as cpuSeconds, round, rssMiB, sleep } from "./lib/proc.mjs";

/** Node options compared: none, and the one that pays (docs/agent.md#footprint has the others tried). */
const OPTIONS = [[], ["--lite-mode"]];

/** One Node.js per major: this one and every other `node` on PATH, oldest first. */
function nodesHere() {
  const byMajor = new Map();
  for (const dir of [dirname(process.execPath), ...(process.env.PATH ?? "").split(delimiter)]) {
    const node = join(dir, "node");
    if (!dir || !existsSync(node)) continue;
    const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
    const major = Number(version.slice(1).split(".")[0]);
    if (major && !byMajor.has(major)) byMajor.set(major, { version, major, execPath: node });
  }
  return [...byMajor.values()].sort((a, b) => a.major - b.major);
}

/** RSS of an idle Node.js on `execPath` doing nothing but a timer: the floor any Node program pays. */
async function nodeFloorMiB(execPath) {
  const idle = spawn(execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  try {
    await sleep(2000);
    return rssMiB(idle.pid);
  } finally {
    idle.kill();
  }
}

async function clusterOf100(dir, name, tmp) {
  const { joinToken } = await dir.admin.createCluster(name);
  const tokenFile = join(tmp, `${name}-join-token`);
  writeFileSync(tokenFile, joinToken);
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${dir.url}/v1/clusters/${name}/nodes/peer-${i}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${joinToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ addrs: [nodeAddr(i + 1, true)], labels: { zone: "zone-a" }, ttlSeconds: 3600 }),
    });
    if (res.status !== 201) throw new Error(`register ${name}/peer-${i}: HTTP ${res.status}`);
  }
  return tokenFile;
}

export async function runAgent({ quick, log = console.error }) {
  const seconds = quick ? 10 : 60;
  const settle = quick ? 1 : 10;
  const counting = await measureConsumerCounting();
  log(
    `agent: counting a local consumer's request costs ${counting.nsPerRequest} ns (no loop ${counting.steadyNs}, looping ${counting.loopingNs}, detection off ${counting.offNs}) on ${counting.node}`,
  );
  const tmp = mkdtempSync(join(tmpdir(), "peerdir-bench-agent-"));
  const dir = await startDirectory();
  const nodes = nodesHere();
  const runs = nodes.flatMap((node) => OPTIONS.map((nodeArgs) => ({ node, nodeArgs })));
  try {
    for (const [i, run] of runs.entries()) {
      const cluster = `agent-${i}`;
      run.agent = startAgent({
        directory: dir.url,
        cluster,
        node: "bench-agent",
        joinTokenFile: await clusterOf100(dir, cluster, tmp),
        stateDir: join(tmp, `state-${i}`),
        port: await freePort(),
        addr: nodeAddr(0, true),
        execPath: run.node.execPath,
        nodeArgs: run.nodeArgs,
      });
    }
    for (const { agent } of runs) await waitHealthy(agent);
    // Start-up: the first probes of the 100 peers (within 5 s) go to the directory on the socket.
    const startUp = performance.now();
    for (const { agent } of runs) while (!((await agentMetrics(agent)).watchMessages.renewed >= 1) && performance.now() - startUp < 40_000) await sleep(500);
    await sleep(settle * 1000);
    for (const run of runs) {
      run.m0 = await agentMetrics(run.agent);
      if (run.m0.peers !== 100) throw new Error(`agent on ${run.node.version} serves ${run.m0.peers} peers, expected 100`);
      run.cpu0 = cpuSeconds(run.agent.pid);
      run.lines0 = run.agent.logLines;
      run.rss = [];
    }
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      await sleep(Math.min(1000, seconds * 1000 - (performance.now() - t0)));
      for (const run of runs) run.rss.push(rssMiB(run.agent.pid));
    }
    const elapsed = (performance.now() - t0) / 1000;
    for (const run of runs) {
      run.cpu = cpuSeconds(run.agent.pid) - run.cpu0;
      run.m1 = await agentMetrics(run.agent);
    }
    const floors = new Map();
    for (const node of nodes) floors.set(node.version, round(await nodeFloorMiB(node.execPath), 1));
    // The /metrics scrape itself is not a directory request; the two scrapes are outside the CPU window
    // except for answering m1, which is negligible.
    const measured = runs.map(({ node, nodeArgs, agent, m0, m1, cpu, rss, lines0 }) => ({
      node: node.version,
      nodeOptions: nodeArgs.join(" "),
      cpuPercent: round((cpu / elapsed) * 100, 3),
      rssMiB: round(rss.reduce((a, b) => a + b, 0) / rss.length, 1),
      requestsPerMinute: round(((m1.requests - m0.requests) * 60) / elapsed, 1),
      nodeFloorMiB: floors.get(node.version),
      cpuSeconds: round(cpu, 3),
      rssMaxMiB: round(Math.max(...rss), 1),
      requestsByKind: Object.fromEntries(Object.keys(m1.byKind).map((k) => [k, m1.byKind[k] - (m0.byKind[k] ?? 0)])),
      transport: m1.transport,
      watchMessagesInWindow: Object.fromEntries(Object.keys(m1.watchMessages).map((k) => [k, m1.watchMessages[k] - (m0.watchMessages[k] ?? 0)])),
      logLinesInWindow: agent.logLines - lines0,
      consumerLooping: m1.consumerLooping,
      heapTotalMiB: round((m1.memory.heap_total ?? 0) / 1048576, 1),
      heapUsedMiB: round((m1.memory.heap_used ?? 0) / 1048576, 1),
      externalMiB: round((m1.memory.external ?? 0) / 1048576, 1),
    }));
    const headline = measured[0]; // the plain agent on the oldest Node: the system Node
    const result = { cpuPercent: headline.cpuPercent, rssMiB: headline.rssMiB, requestsPerMinute: headline.requestsPerMinute, consumerCountNs: counting.nsPerRequest };
    const details = {
      windowSeconds: round(elapsed, 1),
      settleSeconds: settle,
      headline: `the agent without Node options on the system Node (${headline.node}), as its bin runs by default`,
      ...headline,
      runs: measured,
      consumerCounting: counting,
    };
    for (const m of measured)
      log(
        `agent on ${m.node}${m.nodeOptions ? ` ${m.nodeOptions}` : ""}: cpu ${m.cpuPercent} %, rss ${m.rssMiB} MiB (floor ${m.nodeFloorMiB}), ${m.requestsPerMinute} requests/min, ${m.transport}`,
      );
    return { result, details };
  } finally {
    for (const { agent } of runs) if (agent) await agent.stop();
    await dir.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runAgent({ quick: process.argv.includes("--quick") }), null, 2));
}
