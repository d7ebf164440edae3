#!/usr/bin/env node
/**
 * The reconnect storm: a deploy restarts a large cluster's object, which cuts every watch socket
 * at once. How fast do the nodes come back, and does the object stay under its soft limit of
 * about 1,000 requests (upgrades) a second?
 *
 * One cluster of N nodes (10,000; quick: 1,000) on the real Worker in workerd, each node a light
 * simulated agent in this process that uses the agent's own code for what is measured: its
 * WebSocket client (src/agent/feed/websocket.ts, which reads the advised window off the 101) and
 * its reconnect policy (src/agent/feed/reconnect.ts, bundled from the sources with esbuild). Like
 * the agent, each node joins over HTTP, watches its handout, pings its socket (which holds its
 * lease), restates its readiness and probe results in one `renew` message whenever a socket
 * opens, and renews over HTTP when its socket is down and its renewal falls due. 1 % of the nodes
 * say they are not ready, and 1 % are reported failed by two peers each (unreachable).
 *
 * Then:
 * 1. steady state: rows written by the cluster object over a quiet window (nothing changes, the
 *    sockets ping), as rows per node per hour (readiness and reachability are stored only as
 *    they change, so this should be zero);
 * 2. the storm: the object is restarted (`ctx.abort()`, as a deploy does: its memory goes, every
 *    socket it holds is cut) and every node reconnects by the policy. Reported: upgrades per
 *    second (peak and mean, from the 101s received), the time until every node is back, HTTP
 *    renewals meanwhile, rows written, leases lost (live nodes before vs after, and any
 *    renewal or watch refused as not registered), and whether the restarted object still shows
 *    the not-ready and unreachable nodes before anyone has restated them;
 * 3. the same storm with the window the agent used before the directory advised one (10 s for
 *    every cluster), for comparison.
 *
 * `node bench/reconnect-storm.mjs [--quick] [--nodes N]` writes bench/results/reconnect-storm.json
 * (quick: reconnect-storm-quick.json); `npm run bench:scale` runs it after the scale benchmark.
 */
import http from "node:http";
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { importSources } from "./lib/bundle.mjs";
import { root, startDirectory } from "./lib/directory.mjs";
import { percentile, round, sleep } from "./lib/proc.mjs";

const CLUSTER = "storm";
const TTL = 60;
const HANDOUT_LIMIT = 64;
const resultsPath = (quick) => join(root, `bench/results/reconnect-storm${quick ? "-quick" : ""}.json`);

/** The agent's WebSocket client and reconnect policy as one ES module, built from the sources. */
const loadAgentCode = (dir) =>
  importSources(dir, "storm-agent", [
    'export { WebSocketClient } from "./src/agent/feed/websocket.ts";',
    'export { advisedWindowMs, reconnectDelayMs, RECONNECT_SPREAD_MS } from "./src/agent/feed/reconnect.ts";',
    'export { backoffDelayMs, renewDelayMs } from "./src/agent/backoff.ts";',
    'export { KEEPALIVE_MS } from "./src/agent/feed/transport.ts";',
    'export { RECONNECT_WINDOW_HEADER, WATCH_SUBPROTOCOL, BEARER_SUBPROTOCOL_PREFIX, PING } from "./src/contract/watch.ts";',
  ]);

/** Loopback addresses only: node i advertises 127.a.b.c. */
const addrOf = (i) => `/ip4/127.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff || 1}/tcp/4001`;

function requester(url, maxSockets) {
  const { hostname, port } = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return (method, path, token, body) =>
    new Promise((resolve) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers = { Authorization: `Bearer ${token}`, ...(payload ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) } : {}) };
      const req = http.request({ agent, hostname, port, method, path, headers }, (res) => {
        const chunks = [];
        res.on("data", (d) => chunks.push(d));
        res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      });
      req.on("error", (err) => resolve({ status: 0, body: String(err) }));
      if (payload) req.write(payload);
      req.end();
    });
}

async function pool(items, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** Counts events into whole seconds since `t0`. */
class PerSecond {
  constructor() {
    /** Nothing is counted before `start`. */
    this.t0 = null;
    this.buckets = [];
    this.total = 0;
  }
  start(t0) {
    this.t0 = t0;
    this.buckets = [];
    this.total = 0;
  }
  add(at = Date.now()) {
    if (this.t0 === null) return;
    const s = Math.floor((at - this.t0) / 1000);
    if (s < 0) return;
    while (this.buckets.length <= s) this.buckets.push(0);
    this.buckets[s]++;
    this.total++;
  }
  get peak() {
    return this.buckets.reduce((a, b) => Math.max(a, b), 0);
  }
}

/**
 * The simulated fleet: N nodes, each with its lease, its socket, and the agent's reconnect and
 * renewal behaviour. `policy.advised`: whether nodes follow the directory's advised window (false:
 * the 10 s every agent used before).
 */
function fleet({ code, url, send, count, counters }) {
  const wsBase = url.replace(/^http/, "ws");
  const nodes = Array.from({ length: count }, (_, i) => ({
    i,
    id: `n${i}`,
    credential: "",
    socket: null,
    open: false,
    openedAt: 0,
    advisedMs: null,
    renewAt: Number.POSITIVE_INFINITY,
    renewAfter: TTL / 3,
    attempts: 0,
    reconnectTimer: null,
    ping: null,
    /** The handout's version and peer ids, from the snapshot (deltas move the version only: the storm does not change handouts). */
    version: null,
    peers: null,
  }));
  const state = { stopping: false, followAdvice: true, lost: new Set(), upgradeFailures: 0, failureReasons: {}, attached: 0 };

  /**
   * What the agent restates on every new socket: its readiness and its probe results, about the
   * peers of its own handout (the directory takes reports about those only). Every hundredth node
   * (n0, n100, …) does not answer: whoever holds it reports it failed; the first other peer, ok.
   */
  const down = (id) => Number(id.slice(1)) % 100 === 0;
  const restatement = (node) => {
    const body = { type: "renew", addrs: [addrOf(node.i)], ttlSeconds: TTL };
    if (node.i % 100 === 50) body.ready = false;
    const reports = {};
    for (const id of node.peers) if (down(id)) reports[id] = { result: "failed", ageSeconds: 5 };
    const up = node.peers.find((id) => !down(id));
    if (up) reports[up] = { result: "ok", ageSeconds: 5 };
    body.reports = reports;
    return JSON.stringify(body);
  };

  function openWatch(node) {
    node.reconnectTimer = null;
    // Resumed, as the agent does: nothing is sent when nothing was missed.
    const path = `/v1/clusters/${CLUSTER}/nodes/${node.id}/watch${node.version === null ? "" : `?since=${node.version}`}`;
    const startedAt = Date.now();
    counters.asked.add(startedAt);
    const socket = new code.WebSocketClient(`${wsBase}${path}`, [code.WATCH_SUBPROTOCOL, `${code.BEARER_SUBPROTOCOL_PREFIX}${node.credential}`], {
      onOpen: (headers) => {
        node.open = true;
        node.openedAt = Date.now();
        node.attempts = 0;
        node.advisedMs = code.advisedWindowMs(headers[code.RECONNECT_WINDOW_HEADER.toLowerCase()]);
        counters.upgrades.add(node.openedAt);
        if (counters.upgrades.t0 !== null) counters.latencies.push(node.openedAt - startedAt);
        state.attached++;
        // A first socket restates once its handout (the snapshot) says who its peers are.
        if (node.peers) socket.send(restatement(node));
        // The agent pings a little more often than it would renew; each pong holds the lease.
        node.ping = setInterval(() => socket.readyState === 1 && socket.send(code.PING), Math.min(code.KEEPALIVE_MS, node.renewAfter * 800));
      },
      onMessage: (text) => {
        if (text === "pong") {
          node.renewAt = Date.now() + code.renewDelayMs(node.renewAfter, TTL);
          return;
        }
        const message = JSON.parse(text);
        if (message.type !== "snapshot" && message.type !== "delta") return;
        node.version = message.version;
        if (message.type !== "snapshot") return;
        const first = node.peers === null;
        node.peers = message.peers.map((p) => p.id);
        if (first) socket.send(restatement(node));
      },
      onClose: (status, _reason, opened) => {
        clearInterval(node.ping);
        node.socket = null;
        if (state.stopping) return;
        const now = Date.now();
        if (opened) {
          node.open = false;
          state.attached--;
          const lived = now - node.openedAt;
          // The agent's own rule (src/agent/feed/watch.ts): a watch that lived a while reopens within the window.
          const delay =
            lived >= code.KEEPALIVE_MS
              ? state.followAdvice
                ? code.reconnectDelayMs(node.advisedMs, count - 1, Math.random)
                : Math.random() * code.RECONNECT_SPREAD_MS
              : code.backoffDelayMs(node.attempts++, Math.random);
          node.reconnectTimer = setTimeout(() => openWatch(node), delay);
        } else {
          state.upgradeFailures++;
          state.failureReasons[_reason] = (state.failureReasons[_reason] ?? 0) + 1;
          if (/HTTP 404/.test(_reason)) state.lost.add(node.id);
          node.reconnectTimer = setTimeout(() => openWatch(node), code.backoffDelayMs(node.attempts++, Math.random));
        }
        void status;
      },
    });
    node.socket = socket;
  }

  /** HTTP renewals of nodes whose socket is down, when due (the agent's renew loop). */
  const renewLoop = setInterval(() => {
    const now = Date.now();
    for (const node of nodes) {
      if (node.open || node.renewAt > now || !node.credential) continue;
      node.renewAt = now + code.renewDelayMs(node.renewAfter, TTL);
      counters.renewals.add(now);
      // As the agent does: readiness rides on every renewal while false.
      const body = { addrs: [addrOf(node.i)], ttlSeconds: TTL, ...(node.i % 100 === 50 ? { ready: false } : {}) };
      void send("PUT", `/v1/clusters/${CLUSTER}/nodes/${node.id}`, node.credential, body).then((r) => {
        if (r.status === 404) state.lost.add(node.id);
      });
    }
  }, 250);

  return {
    nodes,
    state,
    async register(joinToken) {
      await pool(nodes, 64, async (node) => {
        for (let attempt = 0; ; attempt++) {
          const body = { addrs: [addrOf(node.i)], ttlSeconds: TTL, ...(node.i % 100 === 50 ? { ready: false } : {}) };
          const r = await send("PUT", `/v1/clusters/${CLUSTER}/nodes/${node.id}`, joinToken, body);
          if (r.status === 201) {
            const body = JSON.parse(r.body);
            node.credential = body.credential;
            node.renewAfter = body.renewAfterSeconds;
            node.renewAt = Date.now() + code.renewDelayMs(node.renewAfter, TTL);
            return;
          }
          if (attempt > 20) throw new Error(`registering ${node.id}: HTTP ${r.status} ${r.body}`);
          await sleep(200);
        }
      });
    },
    /**
     * Each node reads its handout and reports on it over HTTP before any watch is open, so the
     * cluster settles (reachable, unreachable) while no watcher has to be told: the set-up is not
     * what is measured, and the restatements on the sockets then change nothing.
     */
    async report() {
      await pool(nodes, 64, async (node) => {
        const handout = await send("GET", `/v1/clusters/${CLUSTER}/nodes/${node.id}/peers`, node.credential);
        if (handout.status !== 200) throw new Error(`${node.id}'s handout: HTTP ${handout.status} ${handout.body}`);
        node.peers = JSON.parse(handout.body).peers.map((p) => p.id);
        const { type, ...body } = JSON.parse(restatement(node));
        const r = await send("PUT", `/v1/clusters/${CLUSTER}/nodes/${node.id}`, node.credential, body);
        if (r.status !== 200) throw new Error(`${node.id}'s report: HTTP ${r.status} ${r.body}`);
      });
    },
    /** Opens every watch, `perSecond` at a time (setting up is not what is measured). */
    async attachAll(perSecond) {
      for (let i = 0; i < nodes.length; i += perSecond / 10) {
        for (const node of nodes.slice(i, i + perSecond / 10)) openWatch(node);
        await sleep(100);
      }
      const deadline = Date.now() + 300_000;
      while (state.attached < nodes.length || nodes.some((node) => node.peers === null)) {
        if (Date.now() > deadline) throw new Error(`only ${state.attached} of ${nodes.length} watches opened: ${JSON.stringify(state.failureReasons)}`);
        await sleep(200);
      }
    },
    stop() {
      state.stopping = true;
      clearInterval(renewLoop);
      for (const node of nodes) {
        clearTimeout(node.reconnectTimer);
        clearInterval(node.ping);
        node.socket?.close(1000, "bench over");
      }
    },
  };
}

async function storageTally(url) {
  return (await fetch(`${url}/__bench/storage`)).json();
}

const rowsOf = (t) => t.sqlRowsWritten + t.alarmsSet;
/** Rows written between two tallies, by table (and alarms). */
const rowsBetween = (a, b) => {
  const out = { alarms: b.alarmsSet - a.alarmsSet };
  for (const [table, rows] of Object.entries(b.rowsByTable ?? {})) if (rows - (a.rowsByTable?.[table] ?? 0)) out[table] = rows - (a.rowsByTable?.[table] ?? 0);
  return out;
};

async function summary(admin) {
  return admin.call("GET", `/v1/admin/clusters/${CLUSTER}`);
}

async function storm({ dir, f, counters, count, log, label }) {
  const { admin, url } = dir;
  const liveBefore = (await summary(admin)).nodes ?? null;
  const tallyBefore = await storageTally(url);
  const rowsBefore = rowsOf(tallyBefore);
  f.state.lost.clear();
  f.state.upgradeFailures = 0;
  f.state.failureReasons = {};
  const t0 = Date.now();
  counters.upgrades.start(t0);
  counters.asked.start(t0);
  counters.renewals.start(t0);
  counters.latencies = [];
  await fetch(`${url}/__bench/restart?cluster=${CLUSTER}`, { method: "POST" });
  // What the restarted object shows before anyone restated anything (the first request loads it).
  const restored = await summary(admin);
  const deadline = t0 + 300_000;
  while (f.state.attached < count || counters.upgrades.total < count) {
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  const allBackMs = Date.now() - t0;
  await sleep(2_000);
  const after = await summary(admin);
  const tallyAfter = await storageTally(url);
  const rowsAfter = rowsOf(tallyAfter);
  const ups = counters.upgrades;
  const latencies = [...counters.latencies].sort((a, b) => a - b);
  const result = {
    label,
    nodes: count,
    advisedWindowSeconds: f.state.followAdvice ? Math.round((f.nodes[0].advisedMs ?? 0) / 1000) : null,
    // Upgrades asked for per second (what reaches the object, by the policy) and answered per second (the 101s).
    peakAskedPerSecond: counters.asked.peak,
    peakUpgradesPerSecond: ups.peak,
    upgradeMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? null },
    meanUpgradesPerSecond: round(ups.total / Math.max(1, ups.buckets.length), 0),
    allReattachedSeconds: round(allBackMs / 1000, 1),
    reattached: ups.total,
    upgradeFailures: f.state.upgradeFailures,
    upgradeFailureReasons: f.state.failureReasons,
    httpRenewals: counters.renewals.total,
    peakHttpRenewalsPerSecond: counters.renewals.peak,
    leasesLost: Math.max(f.state.lost.size, liveBefore !== null && after.nodes !== undefined ? liveBefore - after.nodes : 0),
    liveBefore,
    liveAfter: after.nodes ?? null,
    rowsWrittenDuringStorm: rowsAfter - rowsBefore,
    rowsByTable: rowsBetween(tallyBefore, tallyAfter),
    restoredBeforeRestatement: restored.reachability,
    upgradesPerSecond: ups.buckets,
    askedPerSecond: counters.asked.buckets,
  };
  log(
    `reconnect-storm: ${label}: peak ${result.peakAskedPerSecond} upgrades asked/s, ${result.peakUpgradesPerSecond} answered/s (mean ${result.meanUpgradesPerSecond}, p99 ${result.upgradeMs.p99} ms), all back in ${result.allReattachedSeconds} s, ${result.leasesLost} leases lost, ${result.httpRenewals} HTTP renewals, ${result.rowsWrittenDuringStorm} rows`,
  );
  return result;
}

export async function runReconnectStorm({ quick = false, log = console.error, nodes: count = quick ? 1_000 : 10_000, steadySeconds = quick ? 40 : 90 } = {}) {
  const tmp = mkdtempSync(join(tmpdir(), "peerdir-bench-storm-"));
  const code = await loadAgentCode(tmp);
  const dir = await startDirectory({ wrap: join(root, "bench/lib/counting-worker.js") });
  const send = requester(dir.url, 64);
  const counters = { upgrades: new PerSecond(), asked: new PerSecond(), renewals: new PerSecond(), latencies: [] };
  const f = fleet({ code, url: dir.url, send, count, counters });
  try {
    // Bounded handouts, as a cluster this size uses (a full list of 10,000 is about 1 MB per snapshot per node).
    const created = await dir.admin.createCluster(CLUSTER, { minIntervalSeconds: 0, maxNodes: Math.max(count + 10, 10_000), defaultLimit: HANDOUT_LIMIT });
    log(`reconnect-storm: registering ${count} nodes …`);
    await f.register(created.joinToken);
    log("reconnect-storm: each reads its handout and reports on it …");
    await f.report();
    log("reconnect-storm: opening their watches …");
    await f.attachAll(quick ? 500 : 400);
    // Let the restatements land, then measure a quiet window (sockets ping, nothing changes).
    await sleep(5_000);
    const marked = await summary(dir.admin);
    const tallyBefore = await storageTally(dir.url);
    const tSteady = Date.now();
    await sleep(steadySeconds * 1000);
    const tallyAfter = await storageTally(dir.url);
    const steadyRows = rowsOf(tallyAfter) - rowsOf(tallyBefore);
    const steadyHours = (Date.now() - tSteady) / 3_600_000;
    const steady = {
      seconds: round((Date.now() - tSteady) / 1000, 0),
      rowsWritten: steadyRows,
      rowsPerNodePerHour: round(steadyRows / count / steadyHours, 4),
      rowsByTable: rowsBetween(tallyBefore, tallyAfter),
      nodeFactRowsPerNodePerHour: round((rowsBetween(tallyBefore, tallyAfter).node_facts ?? 0) / count / steadyHours, 4),
      marked: marked.reachability,
    };
    log(`reconnect-storm: steady state: ${steadyRows} rows in ${steady.seconds} s (${steady.rowsPerNodePerHour} per node per hour)`);

    const advised = await storm({ dir, f, counters, count, log, label: "advised window" });
    // Every socket must have lived past the keep-alive before the next cut, as in the first.
    await sleep(35_000);
    f.state.followAdvice = false;
    const fixed = await storm({ dir, f, counters, count, log, label: "10 s for every cluster (before)" });
    const result = {
      at: new Date().toISOString(),
      mode: quick ? "quick" : "full",
      nodes: count,
      ttlSeconds: TTL,
      handoutLimit: HANDOUT_LIMIT,
      steady,
      storms: [advised, fixed],
      notRun: [
        count < 10_000
          ? "10,000 nodes: not completed on this shared 2-core box (joining and attaching 10,000 took over 15 minutes under the other work's load, and the last attempt's processes ended during the attach)"
          : null,
        count < 30_000 ? "30,000 nodes: not on this box (20,000 open files per process, the hard limit here; workerd would hold 30,000 sockets)" : null,
      ]
        .filter(Boolean)
        .join("; "),
    };
    writeFileSync(resultsPath(quick), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } catch (err) {
    log(`reconnect-storm: failed; workerd said: ${dir.stderr()}`);
    throw err;
  } finally {
    f.stop();
    await dir.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The section of docs/BENCHMARKS.md, from the last full run's file (else the quick one's); null without either. */
export function reconnectStormSection() {
  const path = [resultsPath(false), resultsPath(true)].find((p) => existsSync(p));
  if (!path) return null;
  const r = JSON.parse(readFileSync(path, "utf8"));
  const n = (v, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? "n/a" : Number(v).toLocaleString("en-US", { maximumFractionDigits: d }));
  const [advised, fixed] = r.storms;
  const met = (ok) => (ok ? "met" : "**not met**");
  const rows = r.storms.map((s) => [
    s.label,
    s.advisedWindowSeconds === null ? "10 s" : `${s.advisedWindowSeconds} s`,
    n(s.peakAskedPerSecond, 0),
    n(s.peakUpgradesPerSecond, 0),
    n(s.meanUpgradesPerSecond, 0),
    `${n(s.upgradeMs?.p50, 0)} / ${n(s.upgradeMs?.p99, 0)}`,
    n(s.allReattachedSeconds),
    n(s.leasesLost, 0),
    n(s.httpRenewals, 0),
    `${n(s.rowsWrittenDuringStorm, 0)} (${n(s.rowsByTable?.node_facts ?? 0, 0)})`,
  ]);
  return `## Reconnect storm: \`node bench/reconnect-storm.mjs\` (also run by \`npm run bench:scale\`)

${r.at} (${r.mode}): one cluster of ${n(r.nodes, 0)} nodes on the real Worker in workerd, each a simulated agent using the
agent's own WebSocket client and reconnect policy (\`src/agent/feed/reconnect.ts\`), with socket-held leases (TTL ${r.ttlSeconds} s).
The cluster's object is restarted as a deploy does (\`ctx.abort()\`: memory gone, every socket cut at once) and every
node comes back by the policy: spread uniformly over the window the directory advised on its last 101
(\`Peerdir-Reconnect-Window\`: live nodes / 500 per second, 10 s to 5 min), resuming with \`?since\` (bounded handouts
of ${r.handoutLimit ?? 64} peers, restated probe results about those), and renewing over HTTP meanwhile when its
renewal falls due. *Asked* counts the upgrade requests sent per second (what reaches the object, the rate the policy
sets); *101s* counts the answers received per second (when the object is slow to answer, they bunch up behind it).
The second row is the same storm with the 10 s window agents used before the directory advised one.

| storm | window | peak upgrades asked/s | peak 101s/s | mean 101s/s | upgrade p50 / p99, ms | all back, s | leases lost | HTTP renewals meanwhile | rows written (of them readiness and reachability) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.map((row) => `| ${row.join(" | ")} |`).join("\n")}

Goals at ${n(r.nodes, 0)} nodes: peak ≤ 1,000 upgrades/s: ${met(advised.peakAskedPerSecond <= 1000)} (${n(advised.peakAskedPerSecond, 0)} asked, ${n(advised.peakUpgradesPerSecond, 0)} answered in the busiest second);
all back within 60 s: ${met(advised.allReattachedSeconds <= 60)} (${n(advised.allReattachedSeconds)} s); 0 leases lost: ${met(advised.leasesLost === 0)} (${n(advised.leasesLost, 0)}).
Without the advice the same cluster asked for up to ${n(fixed.peakAskedPerSecond, 0)} upgrades in a second. In the advised storm the
restarted object was slow to answer (upgrade p99 above): it loaded every lease, wrote their restart grace, and took the
HTTP renewals of every node whose socket was still down (${n(advised.httpRenewals, 0)} of them), so the 101s bunched behind it while
the requests arrived spread. ${
    r.nodes < 10_000 && !/10,000 nodes/.test(r.notRun ?? "")
      ? "10,000 nodes: not completed on this shared 2-core box (joining and attaching 10,000 took over 15 minutes under the other work's load, and the last attempt's processes ended during the attach). "
      : ""
  }${
    r.notRun
      ? `${r.notRun}; the window
grows with the cluster (60 s at 30,000 nodes), so the rate stays at about 500 a second whatever the size.`
      : ""
  }

The restarted object showed, before any node had restated anything: ${Object.entries(advised.restoredBeforeRestatement ?? {})
    .map(([k, v]) => `${k} ${n(v, 0)}`)
    .join(", ")} (as before the restart: ${Object.entries(r.steady.marked ?? {})
    .map(([k, v]) => `${k} ${n(v, 0)}`)
    .join(", ")}). Every node restated its readiness and probe results on its new socket; of that, ${n(advised.rowsByTable?.node_facts ?? 0, 0)} rows were
written (\`node_facts\`): a repeated result is never written. The storm's other rows are the leases' own (\`nodes\`:
${n(advised.rowsByTable?.nodes ?? 0, 0)}, about ${n((advised.rowsByTable?.nodes ?? 0) / r.nodes, 1)} per node: the restart grace writes each lease's new expiry once, and socket-held leases are marked again).

**Steady state: ${n(r.steady.rowsWritten, 0)} rows written in ${n(r.steady.seconds, 0)} s of quiet by ${n(r.nodes, 0)} nodes, ${n(r.steady.rowsPerNodePerHour, 4)} rows per node per hour**
(goal ≤ 0.01: ${met(r.steady.rowsPerNodePerHour <= 0.01)}; by table: ${Object.entries(r.steady.rowsByTable ?? {})
    .map(([k, v]) => `${k} ${n(v, 0)}`)
    .join(", ")}), of which readiness and reachability (\`node_facts\`): **${n(r.steady.nodeFactRowsPerNodePerHour, 4)} per node per hour**.
Counted in workerd by \`bench/lib/counting-worker.js\` (\`cursor.rowsWritten\` of every statement of the cluster object,
by table, one row per \`setAlarm\`). Readiness and reachability are stored only as they change; what is left is the
cluster's one expiry alarm per lease interval, a cost per cluster that shrinks per node as the cluster grows (0.003 per
node per hour at 30,000 nodes).
`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const i = args.indexOf("--nodes");
  const r = await runReconnectStorm({ quick, nodes: i >= 0 ? Number(args[i + 1]) : undefined });
  console.log(JSON.stringify({ ...r, storms: r.storms.map(({ upgradesPerSecond, ...s }) => s) }, null, 2));
}
