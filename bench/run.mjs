#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [-- --only ring,throughput,fanout,agent,outage,scale]` — runs the
 * experiments (ring, throughput, fanout, agent, outage) and, in full mode, the scale benchmark; writes
 * bench/results/latest.json and regenerates docs/BENCHMARKS.md and its charts.
 * `--ring-seconds S` overrides the ring window (default 60 s, quick 3 s).
 * `npm run bench:scale [-- --quick]` — what one change costs at scale (bench/changes.mjs), merged
 *   into latest.json and written to bench/results/changes.json; `--only scale` runs the older
 *   renewal scale run (bench/scale.mjs).
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { cpus } from "node:os";
import { root } from "./lib/directory.mjs";
import { cpuModel } from "./lib/proc.mjs";
import { etcdVersion, findEtcd } from "./lib/etcd.mjs";
import { judgeGoals } from "./lib/goals.mjs";
import { writeReport } from "./report.mjs";
import { writeCost } from "./cost.mjs";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const scaleOnly = args.includes("--scale");
const onlyArg = args.find((a) => a.startsWith("--only="))?.slice(7) ?? (args.includes("--only") ? args[args.indexOf("--only") + 1] : null);
const wanted = new Set(
  onlyArg
    ? onlyArg.split(",")
    : scaleOnly
      ? ["changes"]
      : quick
        ? ["ring", "throughput", "fanout", "agent", "outage"]
        : ["ring", "throughput", "fanout", "agent", "outage", "scale"],
);
const resultsDir = join(root, "bench/results");
const latestPath = join(resultsDir, "latest.json");
mkdirSync(resultsDir, { recursive: true });

const log = (line) => process.stderr.write(`${line}\n`);
const t0 = Date.now();
// The Worker bundle and the agent are what is measured: build them from the current sources.
execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { stdio: "inherit" });

const previous = existsSync(latestPath) ? JSON.parse(readFileSync(latestPath, "utf8")) : {};
const out = {
  generatedAt: new Date().toISOString(),
  mode: quick ? "quick" : "full",
  machine: machine(),
  ring: previous.ring ?? [],
  throughput: previous.throughput ?? [],
  floor: previous.floor ?? [],
  joinToWatchers: previous.joinToWatchers ?? [],
  goals: [],
  agent: previous.agent ?? null,
  outage: previous.outage ?? null,
  scale: previous.scale ?? null,
  changes: previous.changes ?? null,
  details: previous.details ?? {},
  // Sections not run this time keep their last timings with their last results.
  timings: { ...previous.timings },
};
const stamp = () => ({ at: new Date().toISOString(), mode: quick ? "quick" : "full" });

async function step(name, fn) {
  if (!wanted.has(name)) return;
  const s = Date.now();
  log(`bench: ${name} (${quick ? "quick" : "full"}) …`);
  await fn();
  out.timings[name] = Math.round((Date.now() - s) / 100) / 10;
  log(`bench: ${name} done in ${out.timings[name]} s`);
}

await step("ring", async () => {
  const { runRing } = await import("./ring.mjs");
  const i = args.indexOf("--ring-seconds");
  const r = await runRing({ quick, log, seconds: i >= 0 ? Number(args[i + 1]) : undefined });
  out.ring = r.rows;
  out.details.ring = {
    ...stamp(),
    windowSeconds: r.windowSeconds,
    readinessIntervalSeconds: r.readinessIntervalSeconds,
    readinessTimeoutSeconds: r.readinessTimeoutSeconds,
    runs: r.details,
  };
});
await step("throughput", async () => {
  const { runThroughput } = await import("./throughput.mjs");
  const r = await runThroughput({ quick, log });
  // throughput[] and floor[]: the 20-connection runs; every run is in details.
  out.throughput = r.rows
    .filter((x) => x.connections === 20)
    .map(({ system, op, opsPerSec, p50Ms, p99Ms, serverCpuUsPerOp }) => ({ system, op, opsPerSec, p50Ms, p99Ms, serverCpuUsPerOp }));
  out.floor = r.floor.filter((x) => x.connections === 20).map(({ op, opsPerSec }) => ({ op, opsPerSec }));
  out.details.throughput = {
    ...stamp(),
    secondsPerRun: r.seconds,
    concurrencies: r.concurrencies,
    etcdVersion: r.etcdVersion,
    skipped: r.skipped,
    handoutBytes: r.handoutBytes,
    runs: r.rows,
    floor: r.floor,
  };
});
await step("fanout", async () => {
  const { runFanout } = await import("./native.mjs");
  const r = await runFanout({ quick, log });
  out.joinToWatchers = r.rows;
  out.details.joinToWatchers = { ...stamp(), joins: r.joins, etcdConnections: r.connections, etcdMultiplexed: r.multiplexed, runs: r.details };
});
await step("agent", async () => {
  const { runAgent } = await import("./agent.mjs");
  const r = await runAgent({ quick, log });
  out.agent = r.result;
  out.details.agent = { ...stamp(), ...r.details };
});
await step("outage", async () => {
  const { runOutage } = await import("./outage.mjs");
  const r = await runOutage({ quick, log });
  out.outage = { ...stamp(), ...r.result };
  out.details.outage = { ...stamp(), ...r.details };
});
await step("scale", async () => {
  const { runScale } = await import("./scale.mjs");
  out.scale = { ...stamp(), ...(await runScale({ quick, log })) };
  writeFileSync(join(resultsDir, `scale${quick ? "-quick" : ""}.json`), `${JSON.stringify(out.scale, null, 2)}\n`);
  // Its own results file (bench/results/reconnect-storm.json), read by the report.
  const { runReconnectStorm } = await import("./reconnect-storm.mjs");
  await runReconnectStorm({ quick, log });
});
await step("changes", async () => {
  const { fits, runChanges } = await import("./changes.mjs");
  // --sizes=1000,2000 --etcd-sizes=… --churn=N --index-sizes=… --sections=floor,perChange,etcd,churn,index
  const opt = (name) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  const list = (name) => opt(name)?.split(",").map(Number);
  const options = {
    ...(list("sizes") ? { sizes: list("sizes") } : {}),
    ...(list("etcd-sizes") ? { etcdSizes: list("etcd-sizes") } : {}),
    ...(opt("churn") ? { churnN: Number(opt("churn")) } : {}),
    ...(list("index-sizes") ? { indexSizes: list("index-sizes") } : {}),
    ...(opt("sections") ? { only: opt("sections").split(",") } : {}),
    ...(opt("modes")
      ? {
          modes: opt("modes")
            .split(",")
            .map((m) => (m === "full" ? null : Number(m))),
        }
      : {}),
  };
  const fresh = await runChanges({ quick, log, ...options });
  // Sections not run this time keep their last results; rows of sizes and modes not run too.
  const keep = (old, now, same) => (old && now ? [...old.filter((o) => !now.some((x) => same(o, x))), ...now] : (now ?? old));
  const before = out.changes ?? {};
  out.changes = { ...before, ...stamp(), ...fresh };
  out.changes.perChange = keep(before.perChange, fresh.perChange, (a, b) => a.n === b.n && a.limit === b.limit && a.kind === b.kind);
  out.changes.floor = keep(before.floor, fresh.floor, (a, b) => a.n === b.n);
  out.changes.etcd = keep(before.etcd, fresh.etcd, (a, b) => a.n === b.n);
  out.changes.index = keep(before.index, fresh.index, (a, b) => a.n === b.n);
  Object.assign(out.changes, fits(out.changes));
  writeFileSync(join(resultsDir, `changes${quick ? "-quick" : ""}.json`), `${JSON.stringify(out.changes, null, 2)}\n`);
});

out.goals = judgeGoals(out);
for (const g of out.goals) log(`bench: goal ${g.met === null ? "not measured" : g.met ? "met" : "NOT met"}: ${g.goal} (measured ${g.measured}, bound ${g.bound})`);
out.timings.totalSeconds = Math.round((Date.now() - t0) / 100) / 10;
writeFileSync(latestPath, `${JSON.stringify(out, null, 2)}\n`);
writeReport(out);
writeCost(out);
log(`bench: wrote bench/results/latest.json, docs/BENCHMARKS.md and docs/COST.md in ${out.timings.totalSeconds} s`);

function machine() {
  let workerd = "unknown";
  try {
    workerd = JSON.parse(readFileSync(join(root, "node_modules/workerd/package.json"), "utf8")).version;
  } catch {}
  const etcd = findEtcd();
  return {
    nproc: cpus().length,
    cpuModel: cpuModel(),
    node: process.version,
    workerd,
    etcd: etcd ? etcdVersion(etcd) : "not installed",
    kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
  };
}
