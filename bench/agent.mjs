/**
 * Agent overhead: one real agent in steady state with 100 peers, for a
 * window (60 s; quick 10 s): CPU % of one core and RSS from /proc, requests per minute from its
 * own /metrics (peerdir_agent_requests_total). Default options: the agent's default transport
 * and intervals, the cluster's default rate limit. The window starts once start-up is over: the
 * agent is healthy and its first probe results went to the directory (a `renewed` on the watch).
 * Next to it: Node's own floor on the same Node (an idle `setInterval`), and the agent's heap as
 * its /metrics reports it, so the RSS can be read as floor + heap + the rest.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDirectory, nodeAddr } from "./lib/directory.mjs";
import { agentMetrics, startAgent, waitHealthy } from "./lib/agents.mjs";
import { freePort } from "./lib/ports.mjs";
import { cpuSeconds, round, rssMiB, sleep } from "./lib/proc.mjs";

/** RSS of an idle Node.js (this one) doing nothing but a timer: the floor any Node program pays. */
async function nodeFloorMiB() {
  const idle = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  try {
    await sleep(2000);
    return rssMiB(idle.pid);
  } finally {
    idle.kill();
  }
}

export async function runAgent({ quick, log = console.error }) {
  const seconds = quick ? 10 : 60;
  const settle = quick ? 1 : 10;
  const tmp = mkdtempSync(join(tmpdir(), "peerdir-bench-agent-"));
  const dir = await startDirectory();
  let agent;
  try {
    const { joinToken } = await dir.admin.createCluster("agent");
    const tokenFile = join(tmp, "join-token");
    writeFileSync(tokenFile, joinToken);
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${dir.url}/v1/clusters/agent/nodes/peer-${i}`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${joinToken}`, "Content-Type": "application/json" },
        body: JSON.stringify({ addrs: [nodeAddr(i + 1, true)], labels: { zone: "zone-a" }, ttlSeconds: 3600 }),
      });
      if (res.status !== 201) throw new Error(`register peer-${i}: HTTP ${res.status}`);
    }
    agent = startAgent({
      directory: dir.url,
      cluster: "agent",
      node: "bench-agent",
      joinTokenFile: tokenFile,
      stateDir: join(tmp, "state"),
      port: await freePort(),
      addr: nodeAddr(0, true),
    });
    await waitHealthy(agent);
    // Start-up: the first probes of the 100 peers (within 5 s) go to the directory with the next ping.
    const startUp = performance.now();
    while (!((await agentMetrics(agent)).watchMessages.renewed >= 1) && performance.now() - startUp < 40_000) await sleep(500);
    await sleep(settle * 1000);
    const m0 = await agentMetrics(agent);
    if (m0.peers !== 100) throw new Error(`agent serves ${m0.peers} peers, expected 100`);
    const cpu0 = cpuSeconds(agent.pid);
    const lines0 = agent.logLines;
    const t0 = performance.now();
    const rss = [];
    while (performance.now() - t0 < seconds * 1000) {
      await sleep(Math.min(1000, seconds * 1000 - (performance.now() - t0)));
      rss.push(rssMiB(agent.pid));
    }
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(agent.pid) - cpu0;
    const m1 = await agentMetrics(agent);
    const floor = await nodeFloorMiB();
    // The /metrics scrape itself is not a directory request; the two scrapes are outside the CPU window
    // except for answering m1, which is negligible.
    const requests = m1.requests - m0.requests;
    const result = {
      cpuPercent: round((cpu / elapsed) * 100, 3),
      rssMiB: round(rss.reduce((a, b) => a + b, 0) / rss.length, 1),
      requestsPerMinute: round((requests * 60) / elapsed, 1),
    };
    const details = {
      windowSeconds: round(elapsed, 1),
      settleSeconds: settle,
      cpuSeconds: round(cpu, 3),
      rssMaxMiB: round(Math.max(...rss), 1),
      requestsByKind: Object.fromEntries(Object.keys(m1.byKind).map((k) => [k, m1.byKind[k] - (m0.byKind[k] ?? 0)])),
      transport: m1.transport,
      watchMessagesInWindow: Object.fromEntries(Object.keys(m1.watchMessages).map((k) => [k, m1.watchMessages[k] - (m0.watchMessages[k] ?? 0)])),
      logLinesInWindow: agent.logLines - lines0,
      node: process.version,
      nodeFloorMiB: round(floor, 1),
      heapTotalMiB: round((m1.memory.heap_total ?? 0) / 1048576, 1),
      heapUsedMiB: round((m1.memory.heap_used ?? 0) / 1048576, 1),
      externalMiB: round((m1.memory.external ?? 0) / 1048576, 1),
    };
    log(`agent: ${JSON.stringify(result)} ${JSON.stringify(details)}`);
    return { result, details };
  } finally {
    if (agent) await agent.stop();
    await dir.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runAgent({ quick: process.argv.includes("--quick") }), null, 2));
}
