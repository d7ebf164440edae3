/**
 * Outage: 1,000 agents (in-process instances of the real agent code, bundled from src/agent by
 * esbuild, default transport and flags) against the real Worker in workerd, behind a TCP proxy
 * on 127.0.0.1 that refuses connections for the outage (60 s; quick 20 s). Reports the request
 * rate the fleet aims at the directory, per second, during the outage and during the recovery
 * (peak and p99 of the per-second counts), the time until every agent is synced again after the
 * return, and the most log lines any agent wrote over the outage and the recovery.
 *
 * The rate is counted on the agents' side from their own request counters (every attempt,
 * watch upgrades included, counted when it completes), sampled every second.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importSources } from "./lib/bundle.mjs";
import { startDirectory, nodeAddr } from "./lib/directory.mjs";
import { percentile, round, sleep } from "./lib/proc.mjs";

/** The agent and the fault proxy as one ES module, built from the sources the tests use. */
const loadFleetCode = (dir) =>
  importSources(dir, "fleet", [
    'export { Agent } from "./src/agent/agent.ts";',
    'export { parseCommand } from "./src/agent/config.ts";',
    'export { createLogger } from "./src/agent/log.ts";',
    'export { StateStore } from "./src/agent/state-store.ts";',
    'export { FaultProxy } from "./test/support/fault-proxy.ts";',
  ]);

const stats = (perSecond) => {
  const sorted = [...perSecond].sort((a, b) => a - b);
  return { peakPerSecond: sorted.at(-1) ?? 0, p99PerSecond: percentile(sorted, 99), meanPerSecond: round(perSecond.reduce((a, b) => a + b, 0) / Math.max(1, perSecond.length), 1) };
};

export async function runOutage({ quick, log = console.error, agents: count = 1000 }) {
  const outageSeconds = quick ? 20 : 60;
  const tmp = mkdtempSync(join(tmpdir(), "peerdir-bench-outage-"));
  const fleet = await loadFleetCode(tmp);
  const dir = await startDirectory();
  const proxy = new fleet.FaultProxy(Number(new URL(dir.url).port));
  await proxy.start();
  const members = [];
  try {
    const { joinToken } = await dir.admin.createCluster("outage");
    const tokenFile = join(tmp, "join-token");
    writeFileSync(tokenFile, joinToken);
    // The fleet exists before the outage: every node registered (over plain HTTP, 20 at a time)
    // and its credential in its state dir, as after a rollout. Agents that joined one by one in
    // this one process would each rebuild their handouts on every join (a million rebuilds).
    const credentials = new Array(count);
    for (let i = 0; i < count; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, count - i) }, async (_, k) => {
          const n = i + k;
          const res = await fetch(`${dir.url}/v1/clusters/outage/nodes/n${n}`, {
            method: "PUT",
            headers: { Authorization: `Bearer ${joinToken}`, "Content-Type": "application/json" },
            body: JSON.stringify({ addrs: [nodeAddr(n + 1)], ttlSeconds: 600 }),
          });
          if (res.status !== 201) throw new Error(`register n${n}: HTTP ${res.status}`);
          credentials[n] = (await res.json()).credential;
        }),
      );
    }
    for (let i = 0; i < count; i++) {
      const parsed = fleet.parseCommand([
        "--directory",
        proxy.url,
        "--cluster",
        "outage",
        "--node",
        `n${i}`,
        "--addr",
        nodeAddr(i + 1),
        "--join-token-file",
        tokenFile,
        "--state-dir",
        join(tmp, "state"),
        "--ttl",
        "600",
      ]);
      const lines = { n: 0 };
      const logger = fleet.createLogger({ format: "text", level: "info", write: () => lines.n++ });
      const store = new fleet.StateStore(parsed.config.stateDir, "outage", `n${i}`);
      await store.init();
      await store.saveCredential(credentials[i]);
      const agent = new fleet.Agent({ config: parsed.config, store, log: logger, credential: credentials[i] });
      members.push({ agent, lines, running: agent.run() });
      // Started over about 10 s, as agents come up, not in one millisecond.
      if (i % 10 === 9) await sleep(100);
    }
    const allSynced = (after = 0) =>
      members.every((m) => m.agent.lease.live && !m.agent.stale && m.agent.view.peers.length === count - 1 && (m.agent.view.syncedAt?.getTime() ?? 0) > after);
    const started = Date.now();
    while (!allSynced()) {
      if (Date.now() - started > 180_000) {
        const synced = members.filter((m) => m.agent.view.syncedThisRun && m.agent.view.peers.length === count - 1).length;
        throw new Error(`the fleet did not sync within 180 s (${synced} of ${count} agents have every peer)`);
      }
      await sleep(500);
    }
    log(`bench: outage: ${count} agents synced in ${round((Date.now() - started) / 1000, 1)} s after the last start`);
    // Steady state: every watch has lived past its first keep-alives, as in a fleet that has run a while.
    await sleep(35_000);

    const total = () => members.reduce((n, m) => n + [...m.agent.requests.counts.values()].reduce((a, b) => a + b, 0), 0);
    const lineMarks = members.map((m) => m.lines.n);
    const sample = async (seconds, stop = () => false) => {
      const perSecond = [];
      let last = total();
      for (let s = 0; s < seconds && !stop(); s++) {
        await sleep(1_000);
        const now = total();
        perSecond.push(now - last);
        last = now;
      }
      return perSecond;
    };
    await proxy.set("refuse");
    const during = await sample(outageSeconds);
    const returnAt = Date.now();
    await proxy.set("pass");
    let syncedAt = null;
    const recovery = [];
    for (let s = 0; s < 120; s++) {
      recovery.push(...(await sample(1)));
      if (!syncedAt && allSynced(returnAt)) syncedAt = Date.now();
      if (syncedAt && Date.now() - syncedAt > 5_000) break;
    }
    if (!syncedAt) throw new Error("the fleet did not sync within 120 s of the directory's return");
    const lines = members.map((m, i) => m.lines.n - lineMarks[i]).sort((a, b) => a - b);
    const result = {
      agents: count,
      transport: members[0].agent.scheduler.transport,
      outageSeconds,
      outage: stats(during),
      recovery: { ...stats(recovery), seconds: recovery.length },
      timeToAllSyncedSeconds: round((syncedAt - returnAt) / 1000, 1),
      logLinesPerAgent: { median: percentile(lines, 50), max: lines.at(-1) },
    };
    log(`bench: outage: ${JSON.stringify(result)}`);
    return { result, details: { perSecondDuringOutage: during, perSecondDuringRecovery: recovery } };
  } finally {
    for (const m of members) m.agent.stop();
    await Promise.all(members.map((m) => m.running));
    await proxy.stop();
    await dir.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
