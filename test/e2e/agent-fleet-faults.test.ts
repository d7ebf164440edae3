// A fleet of agents through five directory faults of 80 s each, run concurrently so the whole
// file takes about two and a half minutes: the directory down (connection refused), answering 503, slow (every
// connection held 10 s), restarted with its state kept, and restarted with every lease gone.
//
// The agents are IN-PROCESS instances of the real agent code (src/agent/agent.ts: the scheduler,
// the lease holder, the three feeds, the shared failure policy, the real HTTP client and the
// real WebSocket watch, with real state dirs), not child processes: 15 per fault, a third each on
// watch, long-poll and poll. The directory is the real Worker in local workerd on 127.0.0.1: the
// first three faults share one Worker, each behind its own fault-injecting TCP proxy
// (test/support/fault-proxy.ts) and with its own cluster; each restart fault has a Worker of its
// own (behind a proxy that refuses connections while the Worker restarts).
//
// For every fault and every agent:
// - attempts per minute, once the backoff has ramped up (the minute from 20 s into the fault to
//   its end; every request counts, watch upgrades included), ≤ 10;
// - at most 4 log lines from the fault's start until it is synced again ("peers changed" lines
//   are counted apart: in the first four faults there must be none; after the state loss every
//   node really leaves and joins again, which each agent reports as the membership it sees, at
//   most once per 10 s, so at most 4 such lines);
// - synced (the directory confirmed its list) within 45 s of the directory's return;
// - no peer lost from its last-known-good list during the fault.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Agent } from "../../src/agent/agent.js";
import { parseCommand } from "../../src/agent/config.js";
import { createLogger } from "../../src/agent/log.js";
import { StateStore } from "../../src/agent/state-store.js";
import { createCluster, type RunningDirectory, startDirectory } from "../support/directory.js";
import { type FaultMode, FaultProxy } from "../support/fault-proxy.js";

const AGENTS = 15;
const FAULT_MS = 80_000;
const RAMPED_MS = 20_000;
const RECOVERY_LIMIT_MS = 45_000;
const TRANSPORTS = ["watch", "long-poll", "poll"] as const;

const work = mkdtempSync(join(tmpdir(), "peerdir-fleet-"));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

interface Member {
  node: string;
  agent: Agent;
  lines: string[];
  running: Promise<void>;
}

function attempts(m: Member): number {
  return [...m.agent.requests.counts.values()].reduce((a, b) => a + b, 0);
}

async function startFleet(name: string, proxy: FaultProxy, joinToken: string): Promise<Member[]> {
  const tokenFile = join(work, `${name}.token`);
  writeFileSync(tokenFile, joinToken);
  const members: Member[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const node = `${name}-${i}`;
    const parsed = parseCommand([
      "--directory",
      proxy.url,
      "--cluster",
      name,
      "--node",
      node,
      "--addr",
      `/ip4/127.1.0.${i + 1}/tcp/5001`,
      "--join-token-file",
      tokenFile,
      "--state-dir",
      join(work, "state"),
      "--ttl",
      "600",
      "--transport",
      TRANSPORTS[i % 3],
      "--poll-interval",
      "5",
      "--listen",
      "127.0.0.1:0",
    ]);
    if (parsed.kind !== "run") throw new Error("not a run");
    const lines: string[] = [];
    const log = createLogger({ format: "text", level: "info", write: (line) => lines.push(line) });
    const store = new StateStore(parsed.config.stateDir, name, node);
    await store.init();
    const agent = new Agent({ config: parsed.config, store, log, credential: null });
    members.push({ node, agent, lines, running: agent.run() });
  }
  cleanups.push(async () => {
    for (const m of members) m.agent.stop();
    await Promise.all(members.map((m) => m.running));
  });
  return members;
}

const fullySynced = (members: Member[]) => () => members.every((m) => m.agent.view.syncedThisRun && m.agent.view.peers.length === AGENTS - 1 && !m.agent.stale);

interface FaultPlan {
  name: string;
  proxy: FaultProxy;
  mode: FaultMode;
  /** What happens to the directory itself while the proxy holds the fault (a restart). */
  during?: () => Promise<void>;
}

interface FaultReport {
  name: string;
  maxAttemptsPerMinute: number;
  maxLines: number;
  peersChangedLines: number;
  maxPeersChangedLines: number;
  lostPeers: number;
  recoveryMs: number;
  linesSample: string[];
}

async function runFault(plan: FaultPlan, members: Member[]): Promise<FaultReport> {
  await expect.poll(fullySynced(members), { message: `${plan.name}: every agent synced with every peer`, timeout: 30_000, interval: 100 }).toBe(true);
  const before = new Map(members.map((m) => [m.node, new Set(m.agent.view.peers.map((p) => p.id))]));
  // The joins before the fault are still gathered into a "peers changed" line (one per 10 s): it
  // belongs to the time before the fault, so it is written now, not counted as the fault's.
  for (const m of members) m.agent.sync.changeLog.flush();
  const lineMark = new Map(members.map((m) => [m.node, m.lines.length]));
  const faultAt = Date.now();
  await plan.proxy.set(plan.mode);
  const during = plan.during?.();
  await new Promise((r) => setTimeout(r, RAMPED_MS));
  const ramped = new Map(members.map((m) => [m.node, attempts(m)]));
  const rampedAt = Date.now();
  await during;
  await new Promise((r) => setTimeout(r, Math.max(0, faultAt + FAULT_MS - Date.now())));
  const perMinute = members.map((m) => ((attempts(m) - ramped.get(m.node)!) * 60_000) / (Date.now() - rampedAt));
  const lostPeers = members.reduce((n, m) => n + [...before.get(m.node)!].filter((id) => !m.agent.view.peers.some((p) => p.id === id)).length, 0);
  const returnAt = Date.now();
  await plan.proxy.set("pass");
  const syncedAfterReturn = () => members.every((m) => m.agent.lease.live && (m.agent.view.syncedAt?.getTime() ?? 0) > returnAt && !m.agent.stale);
  const passedAt = Date.now();
  await expect.poll(syncedAfterReturn, { message: `${plan.name}: every agent synced after the return`, timeout: RECOVERY_LIMIT_MS + 5_000, interval: 100 }).toBe(true);
  const recoveryMs = Date.now() - passedAt;
  // Let the last lines of the recovery (a registration after the sync) land before counting.
  await new Promise((r) => setTimeout(r, 2_000));
  const faultLines = members.map((m) => m.lines.slice(lineMark.get(m.node)!));
  const counted = faultLines.map((lines) => lines.filter((l) => !l.includes(" peers changed ")));
  return {
    name: plan.name,
    maxAttemptsPerMinute: Math.max(...perMinute),
    maxLines: Math.max(...counted.map((l) => l.length)),
    peersChangedLines: faultLines.flat().length - counted.flat().length,
    maxPeersChangedLines: Math.max(...faultLines.map((lines, i) => lines.length - counted[i]!.length)),
    lostPeers,
    recoveryMs,
    linesSample: counted.reduce((a, b) => (b.length > a.length ? b : a), []),
  };
}

async function evictAll(directory: RunningDirectory, cluster: string): Promise<void> {
  const res = await fetch(`${directory.url}/v1/admin/clusters/${cluster}/nodes`, { headers: { authorization: `Bearer ${directory.adminToken}` } });
  const body = (await res.json()) as { nodes: { id: string }[] };
  for (const { id } of body.nodes) {
    const r = await fetch(`${directory.url}/v1/admin/clusters/${cluster}/nodes/${id}/evict`, {
      method: "POST",
      headers: { authorization: `Bearer ${directory.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ reason: "fault test: state lost" }),
    });
    if (r.status !== 204) throw new Error(`evicting ${id}: HTTP ${r.status} ${await r.text()}`);
  }
}

describe("an agent fleet through directory faults", () => {
  it("backs off, stays quiet, keeps its peers and recovers within 45 s, for five faults at once", { timeout: 240_000 }, async () => {
    const [shared, kept, lost] = await Promise.all([startDirectory(), startDirectory(), startDirectory()]);
    const directories = { shared, kept, lost };
    cleanups.push(async () => {
      await Promise.all(Object.values(directories).map((d) => d.stop()));
    });

    const restart = (key: "kept" | "lost", proxy: FaultProxy, after?: (d: RunningDirectory) => Promise<void>) => async () => {
      const old = directories[key];
      await old.stop();
      const fresh = await startDirectory({ persistDir: old.persistDir });
      directories[key] = fresh;
      await after?.(fresh);
      proxy.upstreamPort = fresh.port;
    };

    const setups = [
      { name: "down", directory: shared, mode: "refuse" as const },
      { name: "unavailable", directory: shared, mode: "503" as const },
      { name: "slow", directory: shared, mode: "slow" as const },
      { name: "restart", directory: kept, mode: "refuse" as const, restart: "kept" as const },
      { name: "lost", directory: lost, mode: "refuse" as const, restart: "lost" as const },
    ];
    const reports = await Promise.all(
      setups.map(async (s) => {
        const { joinToken } = await createCluster(s.directory.url, s.directory.adminToken, s.name);
        const proxy = new FaultProxy(s.directory.port);
        await proxy.start();
        cleanups.push(() => proxy.stop());
        const members = await startFleet(s.name, proxy, joinToken);
        const during = s.restart === "kept" ? restart("kept", proxy) : s.restart === "lost" ? restart("lost", proxy, (d) => evictAll(d, s.name)) : undefined;
        return runFault({ name: s.name, proxy, mode: s.mode, during }, members);
      }),
    );

    const summary = reports.map(({ linesSample, ...r }) => ({ ...r, maxAttemptsPerMinute: Math.round(r.maxAttemptsPerMinute * 10) / 10 }));
    console.log(`fleet faults: ${JSON.stringify(summary)}`);
    for (const r of reports) {
      expect({ fault: r.name, attemptsPerMinute: r.maxAttemptsPerMinute <= 10 }).toEqual({ fault: r.name, attemptsPerMinute: true });
      expect({ fault: r.name, lines: r.maxLines <= 4, sample: r.maxLines <= 4 ? [] : r.linesSample }).toEqual({ fault: r.name, lines: true, sample: [] });
      expect({ fault: r.name, recoveryMs: r.recoveryMs <= RECOVERY_LIMIT_MS }).toEqual({ fault: r.name, recoveryMs: true });
      expect({ fault: r.name, lostPeers: r.lostPeers }).toEqual({ fault: r.name, lostPeers: 0 });
      if (r.name !== "lost") expect({ fault: r.name, peersChangedLines: r.peersChangedLines }).toEqual({ fault: r.name, peersChangedLines: 0 });
      // As the whole cluster rejoins, each agent logs "peers changed" at most once per 10 s.
      else expect({ fault: r.name, peersChangedLines: r.maxPeersChangedLines <= 4 }).toEqual({ fault: r.name, peersChangedLines: true });
    }
  });
});
