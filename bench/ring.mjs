/**
 * Ring experiment: k3s before the v1.32.4 fix, after it, and peerdir, in
 * rings of 3, 10 and 50 nodes on 127.0.0.1, for a fixed window.
 *
 * "requests" = peer-list requests a node answers or makes: its local client's readiness checks
 * plus every /v1-k3s/p2p request its server handles (k3s models), or the local client's
 * readiness checks to the agent plus the agent's requests to the directory (peerdir).
 * "CPU" = the node processes' CPU in the window (peerdir: the agents, plus the directory's
 * workerd and the readiness-check driver, shared out per node).
 */
import { fork } from "node:child_process";
import http from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { nodeAddr, startDirectory } from "./lib/directory.mjs";
import { agentMetrics, startAgent, waitHealthy } from "./lib/agents.mjs";
import { freePort } from "./lib/ports.mjs";
import { cpuSeconds, round, sleep } from "./lib/proc.mjs";

const NODE_SCRIPT = fileURLToPath(new URL("./lib/k3s-node.mjs", import.meta.url));
const READY_INTERVAL_S = 1;
const READY_TIMEOUT_S = 1;

async function runK3s(mode, nodes, seconds, attempt = 1) {
  try {
    return await runK3sOnce(mode, nodes, seconds);
  } catch (err) {
    // A port picked by freePort() can be taken by another process before the node binds it.
    if (attempt >= 3) throw err;
    console.error(`ring: ${mode} ${nodes} nodes: ${err.message}; trying again`);
    return runK3s(mode, nodes, seconds, attempt + 1);
  }
}

async function runK3sOnce(mode, nodes, seconds) {
  const ports = [];
  for (let i = 0; i < nodes; i++) ports.push(await freePort());
  const startAt = Date.now() + 800 + nodes * 40;
  const children = ports.map((_, i) =>
    fork(
      NODE_SCRIPT,
      [
        "--mode",
        mode,
        "--index",
        String(i),
        "--ports",
        ports.join(","),
        "--start-at",
        String(startAt),
        "--seconds",
        String(seconds),
        "--ready-interval",
        String(READY_INTERVAL_S),
        "--ready-timeout",
        String(READY_TIMEOUT_S),
      ],
      { stdio: ["ignore", "pipe", "pipe", "ipc"] },
    ),
  );
  const reports = await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve, reject) => {
          let out = "";
          child.stdout.on("data", (d) => (out += d));
          let err = "";
          // The model's debug log goes to stderr: count nothing here, keep only a tail for errors.
          child.stderr.on("data", (d) => (err = (err + d).slice(-2000)));
          const killer = setTimeout(() => child.kill("SIGKILL"), (seconds + 30) * 1000 + nodes * 100);
          child.on("exit", (code) => {
            clearTimeout(killer);
            try {
              resolve(JSON.parse(out.trim().split("\n").pop()));
            } catch {
              reject(
                new Error(
                  `k3s model node exited ${code} without a report: ${err
                    .split("\n")
                    .filter((l) => !l.includes(" debug "))
                    .slice(-3)
                    .join(" ")}`,
                ),
              );
            }
          });
        }),
    ),
  );
  const sum = (k) => reports.reduce((s, r) => s + r[k], 0);
  const perNodePerMin = (x) => (x * 60) / seconds / nodes;
  return {
    row: {
      system: mode === "before" ? "k3s-before-fix" : "k3s-after-fix",
      nodes,
      requestsPerNodePerMinute: round(perNodePerMin(sum("handled") + sum("readinessChecks")), 1),
      cpuSecondsPerNodePerMinute: round(perNodePerMin(sum("cpuSeconds")), 3),
      logLinesPerNodePerMinute: round(perNodePerMin(sum("logLines")), 1),
    },
    details: {
      httpRequestsHandled: sum("handled"),
      readinessChecks: sum("readinessChecks"),
      outbound: sum("outbound"),
      fuseTrips: sum("fuseTrips"),
      rejected429: sum("rejected429"),
      failedUpstreamCalls: sum("errors"),
    },
  };
}

async function runPeerdir(dir, nodes, seconds, quick) {
  const tmp = mkdtempSync(join(tmpdir(), "peerdir-bench-ring-"));
  const cluster = `ring-${nodes}`;
  const agents = [];
  try {
    const { joinToken } = await dir.admin.createCluster(cluster);
    const tokenFile = join(tmp, "join-token");
    writeFileSync(tokenFile, joinToken);
    for (let i = 0; i < nodes; i++) {
      agents.push(
        startAgent({
          directory: dir.url,
          cluster,
          node: `node-${i}`,
          joinTokenFile: tokenFile,
          stateDir: join(tmp, "state"),
          port: await freePort(),
          addr: nodeAddr(i, true),
          logLevel: "debug",
        }),
      );
    }
    await Promise.all(agents.map((a) => waitHealthy(a, 60_000)));
    // Every agent has seen every other node before the window starts (full mode; the agents'
    // next poll can take one poll interval). Quick mode starts as soon as all are healthy.
    const deadline = Date.now() + 30_000;
    while (!quick) {
      const counts = await Promise.all(agents.map((a) => agentMetrics(a).then((m) => m.peers)));
      if (counts.every((c) => c === nodes - 1)) break;
      if (Date.now() > deadline) {
        // Say what is missing where, so a failure here can be told apart from a slow machine.
        const live = (await dir.admin.call("GET", `/v1/admin/clusters/${cluster}/nodes`)).nodes.map((n) => n.id);
        const bad = agents.find((a) => !live.includes(a.node)) ?? agents[counts.findIndex((c) => c !== nodes - 1)];
        const seen = await (await fetch(`${bad.base}/peers`)).json().catch((err) => ({ error: String(err) }));
        const missing = live.filter((id) => id !== bad.node && !seen.peers?.some((p) => p.id === id));
        throw new Error(
          `agents did not converge: ${counts}; the directory has ${live.length} live; ${bad.node} misses ${missing.join(", ")} (its version ${seen.version}); its last lines:\n${bad.tail.join("\n")}`,
        );
      }
      await sleep(250);
    }
    await sleep((quick ? 0.5 : 5) * 1000);
    const m0 = await Promise.all(agents.map(agentMetrics));
    const lines0 = agents.map((a) => a.logLines);
    const cpu0 = agents.map((a) => cpuSeconds(a.pid));
    const dirCpu0 = cpuSeconds(dir.pid);
    const own0 = process.cpuUsage();
    // The same spegel-like client as in the k3s models: a readiness check every second, each
    // asking the node's local endpoint (here the agent) for peers, with a 1 s time-out.
    const end = Date.now() + seconds * 1000;
    const httpAgent = new http.Agent({ keepAlive: true });
    let checks = 0;
    let failed = 0;
    await Promise.all(
      agents.map(async (a, i) => {
        await sleep((i * READY_INTERVAL_S * 1000) / nodes);
        while (Date.now() < end) {
          const next = Date.now() + READY_INTERVAL_S * 1000;
          checks++;
          const ok = await new Promise((resolve) => {
            const req = http.get(
              { agent: httpAgent, host: "127.0.0.1", port: a.port, path: "/v1-k3s/p2p", headers: { Accept: "application/json" }, timeout: READY_TIMEOUT_S * 1000 },
              (res) => {
                res.resume();
                res.on("end", () => resolve(res.statusCode === 200));
              },
            );
            req.on("timeout", () => req.destroy());
            req.on("error", () => resolve(false));
          });
          if (!ok) failed++;
          await sleep(Math.max(0, Math.min(next, end) - Date.now()));
        }
      }),
    );
    httpAgent.destroy();
    const own = process.cpuUsage(own0);
    const dirCpu = cpuSeconds(dir.pid) - dirCpu0;
    const agentCpu = agents.reduce((s, a, i) => s + cpuSeconds(a.pid) - cpu0[i], 0);
    const m1 = await Promise.all(agents.map(agentMetrics));
    const directoryRequests = m1.reduce((s, m, i) => s + m.requests - m0[i].requests, 0);
    const logLines = agents.reduce((s, a, i) => s + a.logLines - lines0[i], 0);
    const perNodePerMin = (x) => (x * 60) / seconds / nodes;
    const clientCpu = (own.user + own.system) / 1e6;
    return {
      row: {
        system: "peerdir",
        nodes,
        requestsPerNodePerMinute: round(perNodePerMin(checks + directoryRequests), 1),
        cpuSecondsPerNodePerMinute: round(perNodePerMin(agentCpu + dirCpu + clientCpu), 3),
        logLinesPerNodePerMinute: round(perNodePerMin(logLines), 1),
      },
      details: {
        readinessChecks: checks,
        failedReadinessChecks: failed,
        directoryRequests,
        agentCpuSeconds: round(agentCpu, 3),
        directoryCpuSeconds: round(dirCpu, 3),
        clientCpuSeconds: round(clientCpu, 3),
        transport: m1[0].transport,
        logLevel: "debug",
      },
    };
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    rmSync(tmp, { recursive: true, force: true });
  }
}

export async function runRing({ quick, seconds, log = console.error }) {
  const window = seconds ?? (quick ? 3 : 60);
  const sizes = quick ? [3, 10] : [3, 10, 50];
  const rows = [];
  const details = [];
  const dir = await startDirectory();
  try {
    for (const nodes of sizes) {
      for (const system of ["k3s-before-fix", "k3s-after-fix", "peerdir"]) {
        const t0 = Date.now();
        const r = system === "peerdir" ? await runPeerdir(dir, nodes, window, quick) : await runK3s(system === "k3s-before-fix" ? "before" : "after", nodes, window);
        rows.push(r.row);
        details.push({ system, nodes, windowSeconds: window, ...r.details });
        log(`ring: ${JSON.stringify(r.row)} ${JSON.stringify(r.details)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
    }
  } finally {
    await dir.stop();
  }
  return { rows, details, windowSeconds: window, readinessIntervalSeconds: READY_INTERVAL_S, readinessTimeoutSeconds: READY_TIMEOUT_S };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf("--seconds");
  console.log(JSON.stringify(await runRing({ quick: process.argv.includes("--quick"), seconds: i > 0 ? Number(process.argv[i + 1]) : undefined }), null, 2));
}
