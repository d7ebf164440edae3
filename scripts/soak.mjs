#!/usr/bin/env node
/**
 * Soak test, not part of CI: `npm run soak [-- --nodes 1000 --minutes 10]`.
 *
 * Starts the real directory (dist/worker/index.js, built by scripts/build.mjs) in the workerd
 * binary, as bench/lib/directory.mjs does for the benchmarks, and runs N simulated nodes against one
 * cluster for the given time. Each node joins with the join token, then renews at the
 * `renewAfterSeconds` the directory hands it, asks for its handout (with If-None-Match, so
 * mostly 304s) every few seconds, and now and then leaves and joins again. It checks:
 *   - 0 errors: every answer is the one expected (no 4xx/5xx, no network error);
 *   - 0 lost leases: a live node never finds its lease gone (a renewal answering 201, a peers
 *     request answering 404), and at the end the directory's live count equals the nodes that
 *     believe they are live;
 *   - flat memory: the directory isolate's JS heap after a forced GC (through the V8 inspector),
 *     sampled after warm-up, does not keep growing (last fifth of the samples vs the first fifth).
 *     workerd's RSS is recorded too; it covers the whole local runtime (and grew under load even
 *     for a trivial Worker when it ran through Miniflare; see docs/BENCHMARKS.md), so the heap is
 *     what tells a leak in the directory.
 * Writes bench/results/soak.json and prints a summary; exits 1 when a check fails.
 *
 * Flags: --nodes N (1000) --minutes M (10) or --seconds S, --ttl S (30: lease length asked
 * for; renewals come every ~ttl/3), --peers-every S (5), --limit K (20: handout size asked for),
 * --churn P (0.02: chance per renewal that a node leaves and rejoins later), --out FILE.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { BENCH_ADMIN_TOKEN, root, startDirectory } from "../bench/lib/directory.mjs";
import { freePort } from "../bench/lib/ports.mjs";
import { connectInspector } from "../bench/lib/inspector.mjs";
import { cpuSeconds, percentile, round, rssMiB, sleep } from "../bench/lib/proc.mjs";

const { values: flags } = parseArgs({
  options: {
    nodes: { type: "string", default: "1000" },
    minutes: { type: "string" },
    seconds: { type: "string" },
    ttl: { type: "string", default: "30" },
    "peers-every": { type: "string", default: "5" },
    limit: { type: "string", default: "20" },
    churn: { type: "string", default: "0.02" },
    out: { type: "string", default: join(root, "bench/results/soak.json") },
  },
});
const NODES = Number(flags.nodes);
const DURATION_MS = (flags.seconds ? Number(flags.seconds) : Number(flags.minutes ?? 10) * 60) * 1000;
const TTL = Number(flags.ttl);
const PEERS_EVERY_MS = Number(flags["peers-every"]) * 1000;
const LIMIT = Number(flags.limit);
const CHURN = Number(flags.churn);
const CLUSTER = "soak";
/** Memory is judged after this warm-up (JIT, SQLite page cache, handout caches fill up)... */
const WARMUP_MS = Math.min(120_000, DURATION_MS / 3);
/** ...and only over at least this long a steady window; shorter runs report it as inconclusive. */
const MIN_STEADY_MS = 180_000;

if (!existsSync(join(root, "dist/worker/index.js"))) execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { stdio: "inherit" });

const inspectorPort = await freePort();
const dir = await startDirectory({ vars: { NODE_RATE_BURST: "10" }, inspectorPort });
const inspector = await connectInspector(inspectorPort);
const adminHeaders = { Authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, "Content-Type": "application/json" };
async function adminCall(method, path, body) {
  const res = await fetch(`${dir.url}/v1/admin${path}`, { method, headers: adminHeaders, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

const { joinToken } = await adminCall("POST", "/clusters", { name: CLUSTER });
// The default per-node rate limit (bursts of 10, 1 request/s) stays on: the simulated nodes
// behave like agents and must never trip it. maxNodes leaves room for all of them.
await adminCall("PATCH", `/clusters/${CLUSTER}`, { maxNodes: NODES + 10 });

const stats = {
  requests: 0,
  byKind: {},
  errors: [],
  errorCount: 0,
  lostLeases: 0,
  joins: 0,
  leaves: 0,
  latencies: {},
};
function count(kind, status, ms) {
  stats.requests++;
  const k = (stats.byKind[kind] ??= {});
  k[status] = (k[status] ?? 0) + 1;
  (stats.latencies[kind] ??= []).push(ms);
}
function error(what) {
  stats.errorCount++;
  if (stats.errors.length < 50) stats.errors.push(what);
}

const addrOf = (i) => `/ip4/10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/tcp/4001`;
let stopping = false;

async function request(kind, method, path, token, body, headers = {}) {
  const started = performance.now();
  try {
    const res = await fetch(`${dir.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    count(kind, res.status, performance.now() - started);
    return { status: res.status, text, etag: res.headers.get("ETag") };
  } catch (err) {
    count(kind, "network", performance.now() - started);
    error(`${kind} ${path}: ${err.message}`);
    return { status: 0, text: "", etag: null };
  }
}

/** One simulated node: join, then renew / read peers / sometimes leave and come back. */
async function simulate(i) {
  const id = `node-${String(i).padStart(5, "0")}`;
  const path = `/v1/clusters/${CLUSTER}/nodes/${id}`;
  const body = { addrs: [addrOf(i)], labels: { zone: `z${i % 4}` }, ttlSeconds: TTL };
  const node = { id, credential: null, live: false, etag: null, renewAt: 0, peersAt: 0 };
  await sleep(Math.random() * Math.min(10_000, DURATION_MS / 10)); // stagger the joins

  const joinNow = async () => {
    const res = await request("join", "PUT", path, node.credential ?? joinToken, body);
    if (res.status !== 201) return error(`join ${id}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    const json = JSON.parse(res.text);
    if (json.credential) node.credential = json.credential;
    node.live = true;
    stats.joins++;
    node.renewAt = Date.now() + json.renewAfterSeconds * 1000;
    node.peersAt = Date.now() + Math.random() * PEERS_EVERY_MS;
  };
  await joinNow();

  while (!stopping) {
    const now = Date.now();
    if (!node.live) {
      await sleep(2000 + Math.random() * 5000);
      if (!stopping) await joinNow();
      continue;
    }
    if (now >= node.renewAt) {
      if (Math.random() < CHURN) {
        const res = await request("leave", "DELETE", path, node.credential);
        if (res.status !== 204) error(`leave ${id}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
        node.live = false;
        stats.leaves++;
        continue;
      }
      const res = await request("renew", "PUT", path, node.credential, body);
      if (res.status === 201) {
        stats.lostLeases++;
        error(`renew ${id}: the lease was gone (201)`);
      } else if (res.status !== 200) error(`renew ${id}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
      if (res.status === 200 || res.status === 201) node.renewAt = Date.now() + JSON.parse(res.text).renewAfterSeconds * 1000;
      else node.renewAt = Date.now() + 1000;
    } else if (now >= node.peersAt) {
      const res = await request("peers", "GET", `${path}/peers?limit=${LIMIT}`, node.credential, undefined, node.etag ? { "If-None-Match": node.etag } : {});
      if (res.status === 200) {
        node.etag = res.etag;
        const peers = JSON.parse(res.text).peers;
        if (peers.some((p) => p.id === id)) error(`peers ${id}: handed itself out`);
      } else if (res.status === 404) {
        stats.lostLeases++;
        error(`peers ${id}: the lease was gone (404)`);
      } else if (res.status !== 304) error(`peers ${id}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
      node.peersAt = Date.now() + PEERS_EVERY_MS * (0.8 + 0.4 * Math.random());
    }
    await sleep(Math.max(5, Math.min(node.renewAt, node.peersAt) - Date.now()));
  }
  return node;
}

// Memory and CPU samples of workerd.
const samples = [];
const started = Date.now();
const sampler = setInterval(async () => {
  const sample = { t: Math.round((Date.now() - started) / 1000), rssMiB: Math.round(rssMiB(dir.pid) * 10) / 10, cpuS: cpuSeconds(dir.pid), heapMiB: null };
  samples.push(sample);
  sample.heapMiB = await inspector.heapUsedMiB().catch(() => null);
}, 5000);

console.log(
  `soak: ${NODES} nodes for ${DURATION_MS / 1000} s against ${dir.url} (workerd pid ${dir.pid}); ttl ${TTL} s, peers every ${PEERS_EVERY_MS / 1000} s, limit ${LIMIT}, churn ${CHURN}`,
);
const progress = setInterval(() => {
  const s = samples[samples.length - 1];
  console.log(
    `  t=${Math.round((Date.now() - started) / 1000)}s requests=${stats.requests} errors=${stats.errorCount} lost=${stats.lostLeases} rss=${s?.rssMiB ?? "?"} MiB heap=${s?.heapMiB ?? "?"} MiB`,
  );
}, 30_000);
const runs = Array.from({ length: NODES }, (_, i) => simulate(i));
await sleep(DURATION_MS);
stopping = true;
const nodes = await Promise.all(runs);
clearInterval(sampler);
clearInterval(progress);
const elapsedS = (Date.now() - started) / 1000;

// The directory agrees with the nodes about who is live.
const believedLive = nodes.filter((n) => n.live).length;
const detail = await adminCall("GET", `/clusters/${CLUSTER}`);
if (detail.nodes !== believedLive) {
  stats.lostLeases += Math.abs(detail.nodes - believedLive);
  error(`the directory has ${detail.nodes} live leases; the nodes believe ${believedLive}`);
}
if (detail.degraded) error("the cluster went degraded");
inspector.close();
await dir.stop();

/** The p-th percentile of `list` to 0.01, or null when it is empty. */
const pct = (list, p) =>
  round(
    percentile(
      [...list].sort((a, b) => a - b),
      p,
    ),
    2,
  );
const latencyMs = Object.fromEntries(Object.entries(stats.latencies).map(([k, v]) => [k, { p50: pct(v, 50), p99: pct(v, 99), max: pct(v, 100) }]));
const steady = samples.filter((s) => s.t * 1000 >= WARMUP_MS);
const fifth = Math.max(1, Math.floor(steady.length / 5));
const median = (list, key) =>
  pct(
    list.map((s) => s[key]).filter((v) => v !== null),
    50,
  );
const rssEarly = median(steady.slice(0, fifth), "rssMiB");
const rssLate = median(steady.slice(-fifth), "rssMiB");
const heapEarly = median(steady.slice(0, fifth), "heapMiB");
const heapLate = median(steady.slice(-fifth), "heapMiB");
const growth = heapEarly ? (heapLate - heapEarly) / heapEarly : null;
const memoryConclusive = DURATION_MS - WARMUP_MS >= MIN_STEADY_MS;
const memoryFlat = growth !== null && growth < 0.2;

const result = {
  date: new Date().toISOString(),
  config: { nodes: NODES, seconds: DURATION_MS / 1000, ttlSeconds: TTL, peersEverySeconds: PEERS_EVERY_MS / 1000, limit: LIMIT, churn: CHURN },
  elapsedSeconds: Math.round(elapsedS),
  requests: stats.requests,
  requestsPerSecond: Math.round(stats.requests / elapsedS),
  byKind: stats.byKind,
  latencyMs,
  joins: stats.joins,
  leaves: stats.leaves,
  errors: stats.errorCount,
  errorSamples: stats.errors,
  lostLeases: stats.lostLeases,
  liveAtEnd: { directory: detail.nodes, nodes: believedLive },
  memory: {
    heapEarlyMiB: heapEarly,
    heapLateMiB: heapLate,
    rssEarlyMiB: rssEarly,
    rssLateMiB: rssLate,
    growth: growth === null ? null : Math.round(growth * 1000) / 1000,
    flat: memoryFlat,
    conclusive: memoryConclusive,
    warmupSeconds: WARMUP_MS / 1000,
    samples,
  },
  workerdCpuSeconds: samples.length ? samples[samples.length - 1].cpuS : null,
  pass: stats.errorCount === 0 && stats.lostLeases === 0 && (memoryFlat || !memoryConclusive),
};
mkdirSync(dirname(flags.out), { recursive: true });
writeFileSync(flags.out, `${JSON.stringify(result, null, 2)}\n`);

console.log(
  `soak: ${result.pass ? "PASS" : "FAIL"} — ${result.requests} requests in ${result.elapsedSeconds} s (${result.requestsPerSecond}/s), ${result.joins} joins, ${result.leaves} leaves`,
);
console.log(`  errors ${result.errors}, lost leases ${result.lostLeases}, live at end ${detail.nodes} (nodes believe ${believedLive})`);
console.log(
  `  latency ms: ${Object.entries(latencyMs)
    .map(([k, v]) => `${k} p50 ${v.p50} p99 ${v.p99}`)
    .join("; ")}`,
);
console.log(
  `  directory JS heap after GC: ${heapEarly} MiB after warm-up → ${heapLate} MiB at the end (${growth === null ? "?" : (growth * 100).toFixed(1)}%); ${!memoryConclusive ? "inconclusive: run at least 5 minutes to judge memory" : memoryFlat ? "flat" : "GROWING"}`,
);
console.log(`  workerd RSS (the whole local runtime): ${rssEarly} → ${rssLate} MiB`);
if (stats.errors.length) console.log(`  first errors:\n    ${stats.errors.slice(0, 10).join("\n    ")}`);
console.log(`  written to ${flags.out}`);
process.exit(result.pass ? 0 : 1);
