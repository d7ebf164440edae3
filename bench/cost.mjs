#!/usr/bin/env node
/**
 * The cost model: writes docs/COST.md from the measured per-operation figures in
 * bench/results/latest.json and Cloudflare's published prices and limits (PRICES and LIMITS
 * below, each with its source). `node bench/cost.mjs` regenerates it; `npm run bench` does too.
 * Every figure in the document is computed here; nothing is typed in by hand.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { softStateSection } from "./lib/soft-state-cost.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const PRICING = "https://developers.cloudflare.com/durable-objects/platform/pricing/";
const DO_LIMITS = "https://developers.cloudflare.com/durable-objects/platform/limits/";
const WORKERS_PRICING = "https://developers.cloudflare.com/workers/platform/pricing/";

/** List prices (Workers Paid), in USD. */
export const PRICES = {
  workerRequestPerMillion: { value: 0.3, source: WORKERS_PRICING },
  workerCpuMsPerMillion: { value: 0.02, source: WORKERS_PRICING },
  doRequestPerMillion: { value: 0.15, source: PRICING, note: "HTTP requests, RPC calls, WebSocket messages and alarm invocations" },
  wsIncomingPerBilledRequest: { value: 20, source: PRICING, note: "incoming WebSocket messages bill at 20:1; outgoing messages are free" },
  doDurationPerMillionGbS: { value: 12.5, source: PRICING, note: "wall-clock while running or idle but unable to hibernate, at 128 MB" },
  doMemoryGb: { value: 0.128, source: PRICING },
  rowWrittenPerMillion: { value: 1.0, source: PRICING, note: "each setAlarm() counts as a row written" },
};

export const LIMITS = {
  requestsPerSecondPerObject: { value: 1000, source: DO_LIMITS, note: "soft limit" },
  storagePerObjectBytes: { value: 10e9, source: DO_LIMITS },
  hibernatableSocketsPerObject: { value: 32768, source: "https://developers.cloudflare.com/durable-objects/best-practices/websockets/" },
  hibernateAfterIdleSeconds: { value: 10, source: PRICING },
};

/** The agent's defaults and the directory's lease rules this model assumes. */
const MONTH_S = 30 * 24 * 3600;
const TTL_S = 60;
const RENEW_S = 20; // renewAfterSeconds ≈ TTL/3
const OLD_PING_S = 30; // the agent's keep-alive before socket-held leases
const POLL_S = 5; // --poll-interval default
const LONG_POLL_S = 30; // a long-poll is held up to 30 s
const ROWS_PER_RENEWAL_BEFORE = 1; // a renewal was written at its checkpoint: about one row each
const BYTES_PER_NODE = 1024; // a node's rows (lease, credential, change log), generously rounded up

const n = (v, d = 0) => (Number.isFinite(v) ? Number(v).toLocaleString("en-US", { maximumFractionDigits: d }) : "n/a");
const sci = (v) => (v >= 1e7 ? v.toExponential(2).replace("e+", " × 10^") : n(v));
const usd = (v) => (v >= 1000 ? `$${n(v)}` : v >= 1 ? `$${n(v, 2)}` : `$${n(v, 4)}`);

/** Object memory (Durable Object isolate), for the fan-out index's budget. */
const OBJECT_MEMORY_BYTES = 128 * 1024 * 1024;
/** CPU per invocation of a Durable Object (the default limit; it can be raised to 5 minutes). */
const CPU_LIMIT_MS = 30_000;
/** The churn the fan-out section assumes: 1 % of the nodes change per minute. */
const CHURN_PER_NODE_PER_S = 0.01 / 60;

/**
 * What a cluster's changes cost on the object's one thread, from bench/changes.mjs: for full
 * lists and for limit 64, CPU per join fitted as a · N^b over the measured sizes, the largest N
 * whose churn (1 % of the nodes a minute) keeps the thread under one core, and what binds.
 */
export function fanOutSection(c) {
  if (!c?.perChange?.length) return "";
  const sockets = LIMITS.hibernatableSocketsPerObject.value;
  const indexBytes = c.index?.find((x) => x.n === Math.max(...c.index.map((y) => y.n)))?.bytesPerNode ?? null;
  const rows = [];
  const notes = [];
  for (const limit of [null, 64]) {
    const pts = c.perChange.filter((x) => x.limit === limit && x.kind === "join" && x.cpuMsPerChange > 0);
    if (pts.length < 2) continue;
    const b = c.exponents?.find((x) => x.limit === limit && x.kind === "join")?.exponent ?? 1;
    const top = pts.reduce((a, x) => (x.n > a.n ? x : a));
    const a = top.cpuMsPerChange / top.n ** b;
    const cpuMs = (nodes) => a * nodes ** b;
    // Thread load at N: N · churn · CPU(N); the largest N with load ≤ 1 core.
    let cpuBound = Number.POSITIVE_INFINITY;
    if (b > -1) cpuBound = (1000 / (CHURN_PER_NODE_PER_S * a)) ** (1 / (1 + b));
    const memBound = limit === null || !indexBytes ? Number.POSITIVE_INFINITY : OBJECT_MEMORY_BYTES / 2 / indexBytes;
    // The first change after a wake ranks every watcher anew: O(N²), within one invocation's CPU limit.
    const wake = limit === null ? null : c.index?.reduce((a, x) => (!a || x.n > a.n ? x : a), null);
    const wakeBound = wake ? wake.n * Math.sqrt(CPU_LIMIT_MS / wake.buildMs) : Number.POSITIVE_INFINITY;
    const bounds = [
      [sockets, `${n(sockets)} hibernatable sockets per object`],
      [cpuBound, "the object's one thread saturated by the churn"],
      [memBound, `half the object's ${n(OBJECT_MEMORY_BYTES / 1048576)} MiB for the index (${n(indexBytes)} bytes per watcher)`],
      [
        wakeBound,
        `the first change after a wake ranking every watcher within ${n(CPU_LIMIT_MS / 1000)} s of CPU (measured ${n(wake?.buildMs / 1000, 1)} s at ${n(wake?.n)}, wall-clock on a loaded machine, O(N²))`,
      ],
    ];
    const [largest, by] = bounds.reduce((x, y) => (y[0] < x[0] ? y : x));
    const at = Math.min(largest, sockets);
    rows.push([
      limit === null ? "full lists" : `limit ${limit}`,
      `${n(top.cpuMsPerChange, 2)} ms at ${n(top.n)}`,
      n(b, 2),
      `${n(cpuMs(at), 1)} ms`,
      `${n(((at * CHURN_PER_NODE_PER_S * cpuMs(at)) / 1000) * 100, 1)} %`,
      `**${n(Math.floor(largest))}**`,
      by,
    ]);
    if (limit === null) notes.push(`full lists reach every watcher, so a join at ${n(at)} nodes costs about ${n(cpuMs(at), 0)} ms of the thread`);
  }
  return `## Changes: what the fan-out costs

From \`npm run bench:scale\` (\`bench/changes.mjs\`, ${c.at ?? ""}): workerd CPU per join with every node on its own watch socket, fitted as
a · N^b over N = ${[...new Set(c.perChange.map((x) => x.n))].map((x) => n(x)).join(", ")}, at a churn of 1 % of the nodes a minute
(joins, leaves, flips alike; the churn mix measured ${c.churn ? `${n(c.churn.percentOfCore, 2)} % of a core at ${n(c.churn.n)} nodes, limit ${c.churn.limit}` : "n/a"}).
A change's cost is the Worker's and the object's together (local workerd): an upper bound of the object's share.

| handouts | CPU per join (measured) | exponent b | CPU per join at the largest cluster | thread load from churn there | largest cluster (nodes) | bound by |
|---|---:|---:|---:|---:|---:|---|
${rows.map((r) => `| ${r.join(" | ")} |`).join("\n")}

With a bound a join reaches about 64 watchers whatever the cluster's size; ${notes.join("; ")}.
The index is memory only; after a wake its first change ranks every bounded watcher anew (one pass over the pool each, once).
`;
}

/** Per cluster and month, on the default watch transport: before and after socket-held leases. */
export function clusterMonth(nodes, m) {
  const renewals = (nodes * MONTH_S) / RENEW_S;
  const before = {
    workerRequests: renewals,
    doRequests: renewals, // one RPC per renewal
    wsIncoming: (nodes * MONTH_S) / OLD_PING_S,
    rowsWritten: renewals * ROWS_PER_RENEWAL_BEFORE,
    // A request at least every 10 s keeps the object from ever hibernating.
    activeSeconds: nodes / RENEW_S >= 1 / LIMITS.hibernateAfterIdleSeconds.value ? MONTH_S : renewals * LIMITS.hibernateAfterIdleSeconds.value,
    workerCpuMs: (renewals * m.httpRenewCpuUs) / 1000,
  };
  // After: the ping every renewAfterSeconds holds the lease; the runtime answers it without
  // running the object. One coalesced expiry check per (TTL − renewAfter): a live node's last
  // ping is never older than renewAfter, so no live lease comes due before then.
  const checks = MONTH_S / (TTL_S - RENEW_S);
  const after = {
    workerRequests: 0,
    doRequests: checks, // alarm invocations
    wsIncoming: (nodes * MONTH_S) / RENEW_S, // counted as billed, though auto-responses may not be
    rowsWritten: checks, // the setAlarm() of each check; no lease rows
    activeSeconds: (checks * (m.wakeUs + nodes * m.checkPerNodeUs)) / 1e6,
    workerCpuMs: 0,
  };
  return { before, after };
}

export function dollars(x, clusters) {
  const p = PRICES;
  const billedDoRequests = x.doRequests + x.wsIncoming / p.wsIncomingPerBilledRequest.value;
  const parts = {
    workers: (x.workerRequests * p.workerRequestPerMillion.value + x.workerCpuMs * p.workerCpuMsPerMillion.value) / 1e6,
    doRequests: (billedDoRequests * p.doRequestPerMillion.value) / 1e6,
    rows: (x.rowsWritten * p.rowWrittenPerMillion.value) / 1e6,
    duration: (x.activeSeconds * p.doMemoryGb.value * p.doDurationPerMillionGbS.value) / 1e6,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0) * clusters;
  return { total, billedDoRequests };
}

/** The measured figures the model uses, from latest.json. */
export function measured(latest) {
  const row = (system, op) => latest.throughput?.find((x) => x.system === system && x.op === op);
  const echo = latest.details?.throughput?.floor?.find((x) => x.op === "emptySocketEcho" && x.connections === 20);
  return {
    at: latest.details?.throughput?.at ?? latest.generatedAt,
    httpRenewCpuUs: row("peerdir", "renew")?.serverCpuUsPerOp ?? NaN,
    httpRenewOps: row("peerdir", "renew")?.opsPerSec ?? NaN,
    heartbeatCpuUs: row("peerdir", "heartbeat")?.serverCpuUsPerOp ?? NaN,
    heartbeatOps: row("peerdir", "heartbeat")?.opsPerSec ?? NaN,
    renewSocketCpuUs: row("peerdir", "renewSocket")?.serverCpuUsPerOp ?? NaN,
    // Waking the object for one event: the measured socket-echo floor's server CPU per op.
    wakeUs: echo?.serverCpuUsPerOp ?? NaN,
    // Checking one socket-held lease at an expiry check: one auto-response timestamp read and a
    // comparison, about a hundredth of a heartbeat's cost in the runtime (an estimate).
    checkPerNodeUs: 1,
  };
}

const SCENARIOS = [
  [1, 10],
  [1, 1000],
  [100, 100],
  [1000, 1000],
  [10000, 1000],
  [100000, 1000],
];

export function writeCost(latest) {
  const m = measured(latest);
  const table = (head, rows) => [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
  const rows = [];
  for (const [clusters, nodes] of SCENARIOS) {
    const { before, after } = clusterMonth(nodes, m);
    for (const [label, x] of [
      ["before (HTTP renewals)", before],
      ["after (socket-held leases)", after],
    ]) {
      const d = dollars(x, clusters);
      rows.push([
        `${n(clusters)} × ${n(nodes)}`,
        label,
        sci(x.workerRequests * clusters),
        sci(x.doRequests * clusters),
        sci(x.wsIncoming * clusters),
        sci(x.rowsWritten * clusters),
        sci(x.activeSeconds * PRICES.doMemoryGb.value * clusters),
        `**${usd(d.total)}**`,
      ]);
    }
  }
  const big = clusterMonth(1000, m);
  const bigRatio = dollars(big.before, 100000).total / dollars(big.after, 100000).total;

  // Largest cluster one object holds, per transport.
  const rps = LIMITS.requestsPerSecondPerObject.value;
  const storageNodes = LIMITS.storagePerObjectBytes.value / BYTES_PER_NODE;
  const sockets = LIMITS.hibernatableSocketsPerObject.value;
  const perTransport = [
    [
      "watch, socket-held leases (pings answered by the runtime)",
      "a hibernatable socket per node; no request per heartbeat",
      Math.min(sockets, storageNodes),
      `${n(sockets)} hibernatable sockets per object`,
    ],
    ["watch, HTTP renewals (before)", `1 renewal / ${RENEW_S} s`, Math.min(rps * RENEW_S, sockets, storageNodes), `${n(rps)} requests/s`],
    ["long-poll", `1 renewal / ${RENEW_S} s + 1 long-poll / ${LONG_POLL_S} s`, Math.min(rps / (1 / RENEW_S + 1 / LONG_POLL_S), storageNodes), `${n(rps)} requests/s`],
    ["poll", `1 renewal / ${RENEW_S} s + 1 poll / ${POLL_S} s`, Math.min(rps / (1 / RENEW_S + 1 / POLL_S), storageNodes), `${n(rps)} requests/s`],
  ];

  const src = (k, o) => `[${k}](${o.source})`;
  const doc = `# Cost model

Generated by \`bench/cost.mjs\` from the measured figures in \`bench/results/latest.json\` (throughput run of
${m.at}) and Cloudflare's published prices and limits (linked below). Regenerate with \`node bench/cost.mjs\`
(\`npm run bench\` does it too). Prices are list prices on Workers Paid, without the monthly allowances (10 M Worker
requests, 1 M Durable Object requests, 400,000 GB-s, 50 M rows written) or the $5 minimum: they matter only at the
smallest sizes.

## Assumptions

- Every node runs the agent on its default transport (the watch socket), TTL ${TTL_S} s, \`renewAfterSeconds\` ≈ ${RENEW_S} s;
  a month is 30 days. No churn: joins, leaves and address changes cost the same before and after and are left out.
- **Before**: each renewal is an HTTP \`PUT\` (a Worker request and a Durable Object RPC), written at its renewal
  checkpoint (about ${ROWS_PER_RENEWAL_BEFORE} row per renewal); the agent also pinged its watch socket every ${OLD_PING_S} s. With a request at least
  every ${LIMITS.hibernateAfterIdleSeconds.value} s the object never hibernates, so it is billed for duration all month.
  Worker CPU per renewal: the measured server CPU of an HTTP renewal, ${n(m.httpRenewCpuUs, 1)} µs (the whole local
  workerd, Worker and object together: an upper bound of the Worker's share).
- **After**: a ping every ${RENEW_S} s on the watch socket holds the lease; the runtime answers it (\`setWebSocketAutoResponse\`)
  without running the object, and nothing is written. Pings are counted as billed incoming WebSocket messages (20:1),
  the conservative reading: if auto-answered pings are not billed, that column costs nothing. One coalesced expiry
  check (an alarm, one \`setAlarm()\` row) per cluster every ${TTL_S - RENEW_S} s (TTL − renewAfter: no live lease comes due sooner).
  Duration is the time the object runs for those checks: ${n(m.wakeUs, 1)} µs to wake for an event (the measured
  socket-echo floor's server CPU per op) plus about ${m.checkPerNodeUs} µs per lease checked (an estimate; the measured
  heartbeat costs the runtime ${n(m.heartbeatCpuUs, 1)} µs of CPU and no duration).

## Per month, before and after

| clusters × nodes | lease model | Worker requests | Durable Object requests | incoming WebSocket messages | rows written | duration GB-s | $/month |
|---|---|---:|---:|---:|---:|---:|---:|
${rows.map((r) => `| ${r.join(" | ")} |`).join("\n")}

At 100,000 clusters × 1,000 nodes the socket-held leases cost **${n(bigRatio, 0)}× less** than HTTP renewals; what is left
is the incoming-message charge for the pings (and only if auto-answered pings are billed) and one alarm per cluster
every ${TTL_S - RENEW_S} s.

## The largest cluster one object holds

From the per-object limits: about ${n(rps)} requests/s (soft), ${n(LIMITS.storagePerObjectBytes.value / 1e9)} GB of storage (at about
${n(BYTES_PER_NODE)} bytes per node: ${sci(storageNodes)} nodes, never the binding limit) and ${n(sockets)} hibernatable WebSockets.

${table(
  ["transport", "load per node", "largest cluster (nodes)", "bound by"],
  perTransport.map(([t, load, max, by]) => [t, load, `**${n(Math.floor(max + 1e-6))}**`, by]),
)}

On this machine the runtime answered ${n(m.heartbeatOps)} heartbeats/s (${n(m.heartbeatCpuUs, 1)} µs of CPU each), which
is ${n(m.heartbeatOps * RENEW_S)} nodes pinging every ${RENEW_S} s: the socket count, not the heartbeat, bounds a cluster on the watch
transport. The request limit bounds the HTTP transports; a cluster larger than these needs splitting.

${fanOutSection(latest.changes)}
${softStateSection(root, PRICES, LIMITS)}
## Sources

${table(
  ["figure", "value", "source"],
  [
    ...Object.entries(PRICES).map(([k, o]) => [k, `${o.value}${o.note ? ` (${o.note})` : ""}`, src("Cloudflare", o)]),
    ...Object.entries(LIMITS).map(([k, o]) => [k, `${o.value}${o.note ? ` (${o.note})` : ""}`, src("Cloudflare", o)]),
  ],
)}

The same prices and limits, with notes, are collected in the project's research notes on the platform
(Durable Objects pricing and limits, Workers pricing). Measured figures: \`bench/results/latest.json\`,
\`throughput[]\` (\`serverCpuUsPerOp\`, \`opsPerSec\`) and \`details.throughput.floor\`.
`;
  writeFileSync(join(root, "docs/COST.md"), doc);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeCost(JSON.parse(readFileSync(join(root, "bench/results/latest.json"), "utf8")));
}
