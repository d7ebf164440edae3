#!/usr/bin/env node
/**
 * Soak test, not part of CI: `npm run soak [-- --nodes 1000 --minutes 10]`.
 *
 * Starts the real directory (dist/worker/index.js, built by scripts/build.mjs) in the workerd
 * binary, as bench/lib/directory.mjs does for the benchmarks, and runs N simulated nodes against one
 * cluster for the given time. Each node joins with the join token, then, on the default
 * `--transport watch`, holds a watch socket (the agent's default transport, full lists), pings it
 * as the agent does, every 0.8 × `renewAfterSeconds` (socket-held leases: no renewal requests at
 * all), hears its handout's changes on it, and checks its lease with a `GET …/peers`
 * (If-None-Match: a 304) every `--verify-every` seconds; when a pong is late (an error), it
 * renews over HTTP, as the agent does when the pongs stop. With `--transport http` it renews
 * with `PUT` at `renewAfterSeconds` and asks for its handout every `--peers-every` seconds. With
 * `--churn`, nodes now and then leave and join again. Every node's timers are jittered, so the
 * nodes do not act in lockstep. It checks:
 *   - 0 errors: every answer is the one expected (no 4xx/5xx, no network error);
 *   - 0 lost leases: a live node never finds its lease gone (a renewal answering 201, a peers
 *     request answering 404), and at the end the directory's live count equals the nodes that
 *     believe they are live;
 *   - flat memory: the directory isolate's JS heap after a forced GC (through the V8 inspector),
 *     sampled after warm-up, does not keep growing (last fifth of the samples vs the first fifth).
 *     workerd's RSS is recorded too; it covers the whole local runtime (and grew under load even
 *     for a trivial Worker when it ran through Miniflare; see docs/BENCHMARKS.md), so the heap is
 *     what tells a leak in the directory.
 * And it reports the rows the cluster's object wrote per node per hour in the steady window
 * (after warm-up), counted in workerd by bench/lib/counting-worker.js as Cloudflare bills them
 * (SQL rows written, plus one per alarm set), by statement.
 * The soak process's own event-loop delay is recorded too: when the one Node process that plays
 * all the nodes stalls (an overloaded machine), a late pong or answer is its artefact, not the
 * directory's, and the summary says so (the error still counts).
 * Writes bench/results/soak.json and prints a summary; exits 1 when a check fails.
 *
 * Flags: --nodes N (1000) --minutes M (10) or --seconds S, --transport watch|http (watch),
 * --ttl S (30: lease length asked for; pings or renewals come every ~ttl/3), --peers-every S (5,
 * http), --verify-every S (30, watch), --limit K (20: handout size asked for), --churn P (0 on
 * watch, 0.02 on http: chance per ping or renewal that a node leaves and rejoins later), --out FILE.
 */
import { execFileSync } from "node:child_process";
import http from "node:http";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
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
    transport: { type: "string", default: "watch" },
    ttl: { type: "string", default: "30" },
    "peers-every": { type: "string", default: "5" },
    "verify-every": { type: "string", default: "30" },
    limit: { type: "string", default: "20" },
    churn: { type: "string" },
    out: { type: "string", default: join(root, "bench/results/soak.json") },
  },
});
const NODES = Number(flags.nodes);
const DURATION_MS = (flags.seconds ? Number(flags.seconds) : Number(flags.minutes ?? 10) * 60) * 1000;
const TTL = Number(flags.ttl);
const PEERS_EVERY_MS = Number(flags["peers-every"]) * 1000;
const LIMIT = Number(flags.limit);
const TRANSPORT = flags.transport;
if (TRANSPORT !== "watch" && TRANSPORT !== "http") throw new Error("--transport is watch or http");
const CHURN = Number(flags.churn ?? (TRANSPORT === "watch" ? 0 : 0.02));
const VERIFY_EVERY_MS = Number(flags["verify-every"]) * 1000;
/** A pong later than this is an error: a third of the lease, as the agent's own keep-alive allows. */
const PONG_TIMEOUT_MS = (TTL * 1000) / 3;
/** The agent pings a little more often than it would renew (src/agent/lease.ts, pingEveryMs). */
const PING_FRACTION = 0.8;
const CLUSTER = "soak";
/** Memory is judged after this warm-up (JIT, SQLite page cache, handout caches fill up)... */
/**
 * Joins are spread over this long: each one is pushed to every watcher (the object brings each
 * socket up to date in turn), so a thousand joins at once are a storm no cluster sees in steady
 * state; on the watch transport they are spread over up to 5 minutes.
 */
const JOIN_SPREAD_MS = TRANSPORT === "watch" ? Math.min(300_000, DURATION_MS / 2) : Math.min(10_000, DURATION_MS / 10);
const WARMUP_MS = Math.min(Math.max(120_000, JOIN_SPREAD_MS + 20_000), (DURATION_MS * 2) / 3);
/** ...and only over at least this long a steady window; shorter runs report it as inconclusive. */
const MIN_STEADY_MS = 180_000;

if (!existsSync(join(root, "dist/worker/index.js"))) execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { stdio: "inherit" });

const inspectorPort = await freePort();
const dir = await startDirectory({ vars: { NODE_RATE_BURST: "10" }, inspectorPort, wrap: join(root, "bench/lib/counting-worker.js") });
/** What the cluster's object wrote so far (bench/lib/counting-worker.js). */
const storageTally = async () => (await fetch(`${dir.url}/__bench/storage`)).json();
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
  // Pings and pushed deltas are WebSocket messages, not requests.
  if (kind !== "ping" && kind !== "delta") stats.requests++;
  const k = (stats.byKind[kind] ??= {});
  k[status] = (k[status] ?? 0) + 1;
  (stats.latencies[kind] ??= []).push(ms);
}
function error(what) {
  stats.errorCount++;
  if (stats.errors.length < 50) stats.errors.push(what);
}

const addrOf = (i) => `/ip4/127.${1 + ((i >> 16) & 127)}.${(i >> 8) & 255}.${i & 255}/tcp/4001`;
let stopping = false;

// Node's http with keep-alive, not fetch: the global fetch and WebSocket share one connection pool,
// and its retry rule below needs to know whether a connection was reused.
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const { hostname, port } = new URL(dir.url);

function send(method, path, headers, body, retried = false) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent: httpAgent, hostname, port, method, path, headers: body === undefined ? headers : { ...headers, "Content-Length": Buffer.byteLength(body) } },
      (res) => {
        const chunks = [];
        res.on("data", (d) => chunks.push(d));
        res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString(), etag: res.headers.etag ?? null }));
      },
    );
    req.on("error", (err) => {
      // A keep-alive connection the server closed while idle, just as this request went out on
      // it: nothing was processed, so send it again once on a new one (as Go's and curl's clients
      // do), rather than count the race as a directory error.
      if (req.reusedSocket && err.code === "ECONNRESET" && !retried) resolve(send(method, path, headers, body, true));
      else reject(err);
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function request(kind, method, path, token, body, headers = {}) {
  const started = performance.now();
  try {
    const res = await send(
      method,
      path,
      { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
      body ? JSON.stringify(body) : undefined,
    );
    count(kind, res.status, performance.now() - started);
    return res;
  } catch (err) {
    count(kind, "network", performance.now() - started);
    error(`${kind} ${path}: ${err.message}`);
    return { status: 0, text: "", etag: null };
  }
}

/** A node's join (or re-join with its credential): the registration's body, or null after an error. */
async function joinAs(node, path, body) {
  const res = await request("join", "PUT", path, node.credential ?? joinToken, body);
  if (res.status !== 201) {
    error(`join ${node.id}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    return null;
  }
  const json = JSON.parse(res.text);
  if (json.credential) node.credential = json.credential;
  node.live = true;
  stats.joins++;
  return json;
}

/** One watch socket of a node, full lists as the agent's (no limit): resolves once the first message (the snapshot) arrived. */
function openWatch(node, id) {
  return new Promise((resolve) => {
    const started = performance.now();
    const ws = new WebSocket(`${dir.url.replace(/^http/, "ws")}/v1/clusters/${CLUSTER}/nodes/${id}/watch`, ["peerdir", `bearer.${node.credential}`]);
    const watch = { ws, pong: null, open: false, closedByUs: false, closed: false };
    ws.onmessage = (event) => {
      if (event.data === "pong") {
        watch.pong?.();
        watch.pong = null;
        return;
      }
      const msg = JSON.parse(event.data);
      if (!watch.open) {
        watch.open = true;
        count("watch", 101, performance.now() - started);
        resolve(watch);
      } else if (msg.type === "delta") count("delta", "received", 0);
      else if (msg.type === "error") error(`watch ${id}: ${event.data.slice(0, 200)}`);
    };
    ws.onclose = (event) => {
      if (!watch.open) {
        count("watch", "refused", performance.now() - started);
        error(`watch ${id}: closed before its snapshot (${event.code})`);
        resolve(null);
      } else if (!watch.closedByUs && !stopping) error(`watch ${id}: closed by the directory (${event.code} ${event.reason})`);
      watch.closed = true;
      watch.pong?.(false);
    };
  });
}

/** One simulated node on the watch transport: join, open the socket, ping it; now and then leave and come back. */
async function simulateWatch(i) {
  const id = `node-${String(i).padStart(5, "0")}`;
  const path = `/v1/clusters/${CLUSTER}/nodes/${id}`;
  const body = { addrs: [addrOf(i)], labels: { zone: `z${i % 4}` }, ttlSeconds: TTL };
  const node = { id, credential: null, live: false, watch: null, pingEvery: TTL * 333 * PING_FRACTION, pingAt: 0, verifyAt: 0, etag: null };
  await sleep(Math.random() * JOIN_SPREAD_MS);

  const watchNow = async () => {
    node.watch = await openWatch(node, id);
    node.pingAt = Date.now() + node.pingEvery * Math.random();
    node.verifyAt = Date.now() + VERIFY_EVERY_MS * Math.random();
  };
  const joinNow = async () => {
    const json = await joinAs(node, path, body);
    if (!json) return;
    node.pingEvery = json.renewAfterSeconds * 1000 * PING_FRACTION;
    await watchNow();
  };
  await joinNow();

  while (!stopping) {
    const now = Date.now();
    // A socket the directory closed (an error already) is opened again, as the agent does.
    if (node.watch?.closed && !node.watch.closedByUs) node.watch = null;
    if (!node.live || !node.watch) {
      await sleep(2000 + Math.random() * 5000);
      if (stopping) continue;
      if (!node.live) await joinNow();
      else await watchNow();
      continue;
    }
    if (now >= node.pingAt) {
      if (Math.random() < CHURN) {
        node.watch.closedByUs = true;
        node.watch.ws.close(1000, "leaving");
        const res = await request("leave", "DELETE", path, node.credential);
        if (res.status !== 204) error(`leave ${id}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
        node.live = false;
        node.watch = null;
        stats.leaves++;
        continue;
      }
      // The heartbeat: answered by the runtime, which notes the time; it holds the lease.
      const started = performance.now();
      const answered = await new Promise((resolve) => {
        node.watch.pong = () => resolve(true);
        const timer = setTimeout(() => resolve(false), PONG_TIMEOUT_MS);
        node.watch.ws.send("ping");
        const done = node.watch.pong;
        node.watch.pong = () => {
          clearTimeout(timer);
          done();
        };
      });
      count("ping", answered ? "pong" : "timeout", performance.now() - started);
      if (!answered && !stopping) {
        error(`ping ${id}: no pong within ${PONG_TIMEOUT_MS / 1000} s`);
        // As the agent does when the pongs stop: renew over HTTP (a 201 there is a lost lease).
        const res = await request("renew", "PUT", path, node.credential, body);
        if (res.status === 201) {
          stats.lostLeases++;
          error(`renew ${id}: the lease was gone (201)`);
        } else if (res.status !== 200) error(`renew ${id}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
      }
      node.pingAt = Date.now() + node.pingEvery * (0.9 + 0.2 * Math.random());
    } else if (now >= node.verifyAt) {
      const res = await request("verify", "GET", `${path}/peers?limit=${LIMIT}`, node.credential, undefined, node.etag ? { "If-None-Match": node.etag } : {});
      if (res.status === 200) node.etag = res.etag;
      else if (res.status === 404) {
        stats.lostLeases++;
        error(`verify ${id}: the lease was gone (404)`);
        // As the agent does: register again (with its credential) and watch again.
        node.watch.closedByUs = true;
        node.watch.ws.close(1000, "lease lost");
        node.watch = null;
        node.live = false;
        continue;
      } else if (res.status !== 304) error(`verify ${id}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
      node.verifyAt = Date.now() + VERIFY_EVERY_MS * (0.8 + 0.4 * Math.random());
    }
    await sleep(Math.max(5, Math.min(node.pingAt, node.verifyAt) - Date.now()));
  }
  if (node.watch) {
    node.watch.closedByUs = true;
    node.watch.ws.close(1000, "done");
  }
  return node;
}

/** One simulated node on HTTP: join, then renew / read peers / sometimes leave and come back. */
async function simulate(i) {
  const id = `node-${String(i).padStart(5, "0")}`;
  const path = `/v1/clusters/${CLUSTER}/nodes/${id}`;
  const body = { addrs: [addrOf(i)], labels: { zone: `z${i % 4}` }, ttlSeconds: TTL };
  const node = { id, credential: null, live: false, etag: null, renewAt: 0, peersAt: 0 };
  await sleep(Math.random() * JOIN_SPREAD_MS); // stagger the joins

  const joinNow = async () => {
    const json = await joinAs(node, path, body);
    if (!json) return;
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

// The soak process's own event-loop delay (see the header).
const loopDelay = monitorEventLoopDelay({ resolution: 20 });
loopDelay.enable();

// Memory and CPU samples of workerd.
const samples = [];
const started = Date.now();
const sampler = setInterval(async () => {
  const sample = { t: Math.round((Date.now() - started) / 1000), rssMiB: Math.round(rssMiB(dir.pid) * 10) / 10, cpuS: cpuSeconds(dir.pid), heapMiB: null };
  samples.push(sample);
  sample.heapMiB = await inspector.heapUsedMiB().catch(() => null);
}, 5000);

console.log(
  `soak: ${NODES} nodes on ${TRANSPORT} for ${DURATION_MS / 1000} s against ${dir.url} (workerd pid ${dir.pid}); ttl ${TTL} s, ${TRANSPORT === "watch" ? `verify every ${VERIFY_EVERY_MS / 1000} s` : `peers every ${PEERS_EVERY_MS / 1000} s`}, limit ${LIMIT}, churn ${CHURN}`,
);
// Storage writes in the steady window: from the end of warm-up to the end.
let tallyStart = null;
const tallyTimer = setTimeout(async () => {
  tallyStart = { at: Date.now(), ...(await storageTally()) };
}, WARMUP_MS);
const progress = setInterval(() => {
  const s = samples[samples.length - 1];
  console.log(
    `  t=${Math.round((Date.now() - started) / 1000)}s requests=${stats.requests} errors=${stats.errorCount} lost=${stats.lostLeases} rss=${s?.rssMiB ?? "?"} MiB heap=${s?.heapMiB ?? "?"} MiB`,
  );
}, 30_000);
const runs = Array.from({ length: NODES }, (_, i) => (TRANSPORT === "watch" ? simulateWatch(i) : simulate(i)));
await sleep(DURATION_MS);
const tallyEnd = { at: Date.now(), ...(await storageTally()) };
clearTimeout(tallyTimer);
stopping = true;
const nodes = await Promise.all(runs);
clearInterval(sampler);
clearInterval(progress);
const elapsedS = (Date.now() - started) / 1000;
loopDelay.disable();
const clientLoopDelayMs = { p99: round(loopDelay.percentile(99) / 1e6, 1), max: round(loopDelay.max / 1e6, 1) };

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
const writes = (() => {
  if (!tallyStart) return null;
  const hours = (tallyEnd.at - tallyStart.at) / 3_600_000;
  const sqlRows = tallyEnd.sqlRowsWritten - tallyStart.sqlRowsWritten;
  const alarms = tallyEnd.alarmsSet - tallyStart.alarmsSet;
  return {
    windowSeconds: Math.round(hours * 3600),
    sqlRowsWritten: sqlRows,
    alarmsSet: alarms,
    rowsWritten: sqlRows + alarms,
    rowsPerNodePerHour: round((sqlRows + alarms) / NODES / hours, 3),
    leaseRowsPerNodePerHour: round(sqlRows / NODES / hours, 3),
    how: "counted in workerd by bench/lib/counting-worker.js: cursor.rowsWritten of every SQL statement of the cluster object, plus one row per setAlarm (as Cloudflare bills them), from the end of warm-up to the end",
  };
})();

const result = {
  date: new Date().toISOString(),
  config: {
    nodes: NODES,
    transport: TRANSPORT,
    seconds: DURATION_MS / 1000,
    ttlSeconds: TTL,
    ...(TRANSPORT === "watch" ? { verifyEverySeconds: VERIFY_EVERY_MS / 1000 } : { peersEverySeconds: PEERS_EVERY_MS / 1000 }),
    limit: LIMIT,
    churn: CHURN,
  },
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
  storageWrites: writes,
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
  /** The soak process's event-loop delay: a stall here delays pongs and answers on the client side. */
  clientLoopDelayMs,
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
console.log(
  `  the soak process's own event-loop delay: p99 ${clientLoopDelayMs.p99} ms, max ${clientLoopDelayMs.max} ms${clientLoopDelayMs.max >= PONG_TIMEOUT_MS / 2 ? " (it stalled: late answers may be its own, not the directory's)" : ""}`,
);
if (writes)
  console.log(
    `  rows written in the steady window (${writes.windowSeconds} s): ${writes.rowsWritten} (${writes.sqlRowsWritten} by SQL, ${writes.alarmsSet} alarms) = ${writes.rowsPerNodePerHour} per node per hour (${writes.leaseRowsPerNodePerHour} without the alarms)`,
  );
if (stats.errors.length) console.log(`  first errors:\n    ${stats.errors.slice(0, 10).join("\n    ")}`);
console.log(`  written to ${flags.out}`);
process.exit(result.pass ? 0 : 1);
