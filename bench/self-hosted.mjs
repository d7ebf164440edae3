/**
 * The self-hosted directory, measured from the release tarball (`npm run release`'s packing of
 * this checkout) as operators run it, against the issue's goals:
 *   - cold start: spawn of bin/peerdir-directory to the first 200 from /healthz (≤ 2 s), on an
 *     empty data directory and on one holding 10 clusters;
 *   - idle RSS of workerd (and the launcher) with 10 clusters, each object loaded (≤ 100 MiB);
 *   - the HTTP throughput rows of bench/throughput.mjs (renew, unchanged, handout100) against the
 *     tarball and, in the same run, against the bench's Cloudflare-local workerd (within 10 %);
 *   - SIGKILL during a burst of 1,000 acknowledged writes, then restart: acknowledged writes
 *     lost (0), and the time until every agent is back on its watch socket (≤ 30 s).
 * Writes bench/results/self-hosted.json; bench/report.mjs renders it into docs/BENCHMARKS.md.
 * Run: `node scripts/build.mjs && node bench/self-hosted.mjs [--quick]`.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packRelease } from "../scripts/release.mjs";
import { startAgent } from "./lib/agents.mjs";
import { adminClient, BENCH_ADMIN_TOKEN, BENCH_TOKEN_KEY, nodeAddr, root } from "./lib/directory.mjs";
import { freePort } from "./lib/ports.mjs";
import { cpuModel, round, rssMiB, sleep } from "./lib/proc.mjs";
import { runThroughput } from "./throughput.mjs";

const quick = process.argv.includes("--quick");
const log = (line) => console.error(`self-hosted: ${line}`);
const work = mkdtempSync(join(tmpdir(), "peerdir-bench-self-hosted-"));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The tarball, packed and unpacked: its top directory, and its sizes. */
function unpack() {
  const packed = packRelease(join(work, "release"));
  execFileSync("tar", ["-xzf", packed.tarball, "-C", work]);
  const home = join(
    work,
    packed.tarball
      .split("/")
      .pop()
      .replace(/\.tar\.gz$/, ""),
  );
  return { home, bytes: packed.bytes, unpacked: packed.unpacked };
}

/** bin/peerdir-directory on `data`; resolves once /healthz answers 200, with the time that took. */
async function launch(home, data, listen) {
  const t0 = performance.now();
  const child = spawn(join(home, "bin/peerdir-directory"), ["--listen", listen, "--data", data], {
    env: { PATH: process.env.PATH, ADMIN_TOKEN: BENCH_ADMIN_TOKEN, TOKEN_KEY: BENCH_TOKEN_KEY },
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = `http://${listen}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`peerdir-directory exited: ${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break;
    } catch {}
    if (performance.now() - t0 > 20_000) throw new Error(`not ready in 20 s: ${stderr}`);
    await sleep(5);
  }
  const coldStartMs = performance.now() - t0;
  const workerd = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim().split(/\s+/)[0]);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return {
    url,
    pid: workerd,
    launcherPid: child.pid,
    coldStartMs,
    admin: adminClient(url),
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
    async kill() {
      process.kill(-child.pid, "SIGKILL");
      await exited;
    },
  };
}

async function coldStarts(home, listen) {
  const data = join(work, "cold");
  const series = async (label, before) => {
    const runs = [];
    for (let i = 0; i < (quick ? 2 : 5); i++) {
      await before();
      const d = await launch(home, data, listen);
      runs.push(d.coldStartMs);
      await d.stop();
    }
    const row = { medianMs: round(median(runs), 0), maxMs: round(Math.max(...runs), 0), runs: runs.map((r) => round(r, 0)) };
    log(`cold start (${label}): median ${row.medianMs} ms, max ${row.maxMs} ms`);
    return row;
  };
  const empty = await series("empty data directory", async () => rmSync(data, { recursive: true, force: true }));
  const d = await launch(home, data, listen);
  for (let c = 0; c < 10; c++) await d.admin.createCluster(`c${c}`);
  await d.stop();
  return { empty, tenClusters: await series("10 clusters", async () => {}) };
}

/** RSS with 10 clusters of 20 nodes each, every object loaded, after 5 s idle. */
async function idleRss(home, listen) {
  const d = await launch(home, join(work, "idle"), listen);
  try {
    for (let c = 0; c < 10; c++) {
      const { joinToken } = await d.admin.createCluster(`idle-${c}`);
      for (let n = 0; n < 20; n++) {
        const res = await fetch(`${d.url}/v1/clusters/idle-${c}/nodes/n${n}`, {
          method: "PUT",
          headers: { Authorization: `Bearer ${joinToken}`, "Content-Type": "application/json" },
          body: JSON.stringify({ addrs: [nodeAddr(n + 1)], ttlSeconds: 3600 }),
        });
        if (res.status !== 201) throw new Error(`register: HTTP ${res.status}`);
      }
    }
    await sleep(5000);
    const workerd = rssMiB(d.pid);
    const launcher = rssMiB(d.launcherPid);
    log(`idle RSS with 10 clusters: workerd ${round(workerd, 1)} MiB + launcher ${round(launcher, 1)} MiB`);
    return { clusters: 10, nodesPerCluster: 20, workerdMiB: round(workerd, 1), launcherMiB: round(launcher, 1), totalMiB: round(workerd + launcher, 1) };
  } finally {
    await d.stop();
  }
}

async function throughput(home, listen) {
  const options = { only: ["renew", "unchanged", "handout100"], etcd: false, floor: false, quick, log: (l) => log(l) };
  const cloudflareLocal = await runThroughput(options);
  rmSync(join(work, "throughput"), { recursive: true, force: true });
  const selfHosted = await runThroughput({ ...options, start: () => launch(home, join(work, "throughput"), listen) });
  const rows = cloudflareLocal.rows.map((c) => {
    const s = selfHosted.rows.find((r) => r.op === c.op && r.connections === c.connections);
    return { op: c.op, connections: c.connections, cloudflareLocal: c, selfHosted: s, ratio: round(s.opsPerSec / c.opsPerSec, 3) };
  });
  for (const r of rows) log(`throughput ${r.op} c=${r.connections}: self-hosted ${r.selfHosted.opsPerSec}/s vs Cloudflare-local ${r.cloudflareLocal.opsPerSec}/s (${r.ratio}×)`);
  return { seconds: cloudflareLocal.seconds, rows };
}

/** SIGKILL in the middle of 1,000 writes from 16 writers while agents watch; restart; count. */
async function killDuringBurst(home, listen) {
  const data = join(work, "burst");
  let d = await launch(home, data, listen);
  const { joinToken } = await d.admin.createCluster("burst");
  const tokenFile = join(work, "burst-token");
  writeFileSync(tokenFile, joinToken, { mode: 0o600 });
  const agents = [];
  const AGENTS = quick ? 3 : 10;
  for (let i = 0; i < AGENTS; i++) {
    agents.push(
      startAgent({
        directory: d.url,
        cluster: "burst",
        node: `agent-${i}`,
        joinTokenFile: tokenFile,
        stateDir: join(work, "agent-state"),
        port: await freePort(),
        addr: `/ip4/127.0.0.1/tcp/${20000 + i}`,
        extraArgs: ["--no-self-check"],
      }),
    );
  }
  for (const a of agents) a.base = `http://127.0.0.1:${a.port}`;
  const onWatch = async () => {
    const { nodes } = await d.admin.call("GET", "/v1/admin/clusters/burst/nodes");
    return nodes.filter((n) => n.transport === "watch").length === AGENTS;
  };
  const until = async (what, probe, ms) => {
    const t0 = performance.now();
    for (;;) {
      try {
        if (await probe()) return performance.now() - t0;
      } catch {}
      if (performance.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
      await sleep(50);
    }
  };
  await until("agents on their watch sockets", onWatch, 60_000);
  const WRITES = 1000;
  const acknowledged = [];
  let next = 0;
  let killedAt = 0;
  const writer = async () => {
    while (next < WRITES) {
      const node = `w-${next++}`;
      try {
        const res = await fetch(`${d.url}/v1/admin/clusters/burst/overrides/${node}`, {
          method: "PUT",
          headers: { Authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, "Content-Type": "application/json" },
          body: JSON.stringify({ action: "block", reason: "burst" }),
        });
        if (res.ok) acknowledged.push(node);
      } catch {}
    }
  };
  const burst = Promise.all(Array.from({ length: 16 }, writer));
  while (acknowledged.length < WRITES / 2) await sleep(1);
  await d.kill();
  killedAt = performance.now();
  await burst;
  log(`SIGKILL after ${acknowledged.length} acknowledged writes of ${WRITES}`);
  d = await launch(home, data, listen);
  const restartMs = performance.now() - killedAt;
  const { overrides } = await d.admin.call("GET", "/v1/admin/clusters/burst/overrides");
  const kept = new Set(overrides.map((o) => o.node));
  const lost = acknowledged.filter((n) => !kept.has(n)).length;
  const reattachMs = await until("agents back on their watch sockets", onWatch, 120_000);
  const sinceKill = performance.now() - killedAt;
  log(`restart: ${lost} acknowledged writes lost; every agent re-attached ${round(sinceKill / 1000, 1)} s after the kill`);
  await Promise.all(agents.map((a) => a.stop()));
  await d.stop();
  return {
    writes: WRITES,
    acknowledged: acknowledged.length,
    lost,
    agents: AGENTS,
    restartMs: round(restartMs, 0),
    reattachAfterReadyMs: round(reattachMs, 0),
    reattachAfterKillMs: round(sinceKill, 0),
  };
}

try {
  if (!process.argv.includes("--no-build")) execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { stdio: "inherit" });
  const { home, bytes, unpacked } = unpack();
  log(`tarball: ${round(bytes / 2 ** 20, 1)} MiB, ${round(unpacked / 2 ** 20, 1)} MiB unpacked`);
  const listen = `127.0.0.1:${await freePort()}`;
  const result = {
    date: new Date().toISOString(),
    machine: cpuModel(),
    quick,
    tarball: { compressedMiB: round(bytes / 2 ** 20, 1), unpackedMiB: round(unpacked / 2 ** 20, 1) },
    coldStart: await coldStarts(home, listen),
    idle: await idleRss(home, listen),
    throughput: await throughput(home, listen),
    sigkill: await killDuringBurst(home, listen),
  };
  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, "bench/results/self-hosted.json"), `${JSON.stringify(result, null, 2)}\n`);
  log("wrote bench/results/self-hosted.json");
} finally {
  rmSync(work, { recursive: true, force: true });
}
