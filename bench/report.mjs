/**
 * Regenerates docs/BENCHMARKS.md and the charts (bench/results/*.svg) from one results object
 * (bench/results/latest.json). Every number in the document comes from that file.
 * `node bench/report.mjs` re-renders from the saved latest.json without running anything.
 */
import { changesSection } from "./lib/changes-report.mjs";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./lib/directory.mjs";
import { barChart } from "./lib/svg.mjs";
import { reconnectStormSection } from "./reconnect-storm.mjs";

const n = (v, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? "n/a" : Number(v).toLocaleString("en-US", { maximumFractionDigits: d }));
const table = (head, rows) => [`| ${head.join(" | ")} |`, `|${head.map((_h, i) => (i === 0 ? "---" : "---:")).join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

/** Before/after pairs: every bench/results/compare-*.json (bench/compare.mjs), then the earlier, recorded ones. */
function hotPathsSection() {
  const dir = join(root, "bench/results");
  const compares = readdirSync(dir)
    .filter((f) => /^compare-.+\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")))
    .sort((a, b) => a.at.localeCompare(b.at));
  const measured = compares.map(
    (c) => `### ${c.title}

${c.at}: \`${c.before}\` (before) and \`${c.after}\` (after), both running at once in their own workerd; ${c.rounds} rounds of
${c.secondsPerRun} s per operation and side at ${c.connections} connections, the order flipping each round; medians of the rounds
(\`bench/results/compare-${c.name}.json\`).

${table(
  ["op", "before ops/s", "after ops/s", "after/before", "before CPU ms/op", "after CPU ms/op", "before p99 ms", "after p99 ms"],
  c.rows.map((r) => [
    r.op,
    n(r.before.opsPerSec, 0),
    n(r.after.opsPerSec, 0),
    `**${n(r.ratio, 2)}×**`,
    n(r.before.cpuMsPerOp, 3),
    n(r.after.cpuMsPerOp, 3),
    n(r.before.p99Ms, 1),
    n(r.after.p99Ms, 1),
  ]),
)}
${c.note ? `\n${c.note}\n` : ""}`,
  );
  return `## Hot paths: changes made from measurements, before and after

Each change below came from a profile (\`node bench/profile.mjs renew|unchanged|handout100\`) or an experiment
that took one suspect away. \`node bench/compare.mjs --before <rev> --name <name> --title "…"\` measures a change
side by side: the two builds run at the same time and the operations alternate between them, so the machine's
noise hits both alike.

${measured.join("\n")}
### Earlier changes (recorded from runs made when they landed, through Miniflare; not regenerated)

| change | measure | before | after |
|---|---|---:|---:|
| deltas for unlimited watchers computed from the changed ids only, O(changes · log n), instead of rebuilding the handout at the old version, O(n log n) per watcher (\`src/cluster/changelog.ts\`) | scale, 10,000 nodes + 100 watchers: renew p50 / p99, ms | 234.68 / 710.93 | 1.45 / 91.36 |
| | scale: join → all 100 watchers p50 / p99, ms | 443.98 / 841.65 | 18.9 / 163.43 |
| | scale: the directory's CPU, % of one core | 91.1 | 58.4 |
| handouts and \`304\`s read memory only: what is due expires first in its own transaction, and the read runs outside \`transactionSync\` (\`src/worker/objects/cluster-directory.ts\` \`#apply\`) | \`unchanged\` at 20 connections: ops/s; p99 ms; server CPU ms/op | 1,948; 136.64; 0.576 | 2,423; 29.52; 0.463 |
| hex digest of tokens through a lookup table (\`src/worker/secrets.ts\`) | CPU profile of \`unchanged\`: self time of \`sha256Hex\` | 7.0 % | 6.2 % |

### Tried and dropped

Each measured with the throughput benchmark's operation at 20 connections, 2 × 3 s, on this machine:

- \`node:crypto\`'s synchronous \`createHash\` for the token digest instead of \`crypto.subtle.digest\`: slower in
  workerd (\`unchanged\` 2,453–2,923 ops/s against 3,049–3,148).
- No \`transactionSync\` around writes: no difference within the noise while each renewal still wrote its row.
  Once plain renewals wrote nothing, *not opening* a transaction when an operation has no writes paid off (the
  collected-writes pair above), with the same fault atomicity.
- A hand-written route for \`GET …/peers\` in front of hono (no zod, no middleware): about 10 % more \`unchanged\`
  (3,358–3,437 ops/s), not worth a second copy of routing, validation and auth beside the contract.
`;
}

/** The runtime floor next to peerdir and etcd: what a Worker + Durable Object can do on this machine at all. */
function floorSection(td, nproc) {
  const rows = [];
  const c = td.concurrencies[0];
  const f = (op) => td.floor.find((x) => x.op === op && x.connections === c);
  const run = (system, op) => td.runs.find((x) => x.system === system && x.op === op && x.connections === c);
  const rpc = f("emptyWorkerToObject");
  const echo = f("emptySocketEcho");
  const line = (label, x, floorRow) => [
    label,
    n(x?.opsPerSec, 0),
    n(x?.p50Ms, 2),
    n(x?.p99Ms, 2),
    n(x?.serverCpuUsPerOp, 1),
    floorRow && x ? `${n((100 * x.opsPerSec) / floorRow.opsPerSec, 0)} %` : "",
  ];
  rows.push(line("floor `emptyWorker`: an empty Worker", f("emptyWorker")));
  rows.push(line("peerdir refuseForged (HTTP, refused by the Worker, no object)", run("peerdir", "refuseForged"), f("emptyWorker")));
  rows.push(line("floor `emptyWorkerToObject`: empty Worker → Durable Object RPC", rpc));
  for (const op of ["renew", "unchanged"]) {
    rows.push(line(`peerdir ${op} (HTTP)`, run("peerdir", op), rpc));
    rows.push(line(`etcd ${op} (JSON gateway)`, run("etcd", op)));
  }
  rows.push(line("floor `emptySocketEcho`: a Durable Object socket echo", echo));
  for (const op of ["heartbeat", "renewSocket"]) {
    rows.push(line(`peerdir ${op} (watch socket)`, run("peerdir", op), echo));
    rows.push(line(`etcd ${op} (gRPC LeaseKeepAlive)`, run("etcd", op)));
  }
  return `### The runtime floor

The same workerd, started the same way, running \`bench/lib/floor-worker.js\` instead of the directory, in the same run:
a Worker that answers at once, a Worker that makes one RPC to a Durable Object which returns a constant, and a
hibernatable WebSocket to a Durable Object whose message handler sends the message back. No directory built as a
Worker in front of a Durable Object can answer faster than these on this machine. ${c} connections (streams); the last
column is the share of the floor the row is built on (HTTP: the Worker → Durable Object RPC; \`refuseForged\`, which
never reaches an object: the empty Worker; socket: the echo).

${table(["", "ops/s", "p50 ms", "p99 ms", "server CPU µs/op", "share of its floor"], rows)}

workerd runs a Worker and its Durable Objects on one thread, so the floor is one core's worth of that round trip
(${n(rpc?.serverCpuUsPerOp, 1)} µs of CPU each), while etcd spreads its work over all ${nproc} cores. The heartbeat can
beat the echo floor because the runtime answers it without running the object's JavaScript at all.
`;
}

export function writeReport(r) {
  const svg = (name, chart) => {
    writeFileSync(join(root, "bench/results", name), chart);
    return `![${name}](../bench/results/${name})`;
  };
  const m = r.machine;
  const d = r.details ?? {};
  const parts = [];
  parts.push(`# Benchmarks

Generated by \`bench/report.mjs\` from \`bench/results/latest.json\` (${r.generatedAt}, last run mode: **${r.mode}**). Every
number below was produced by the scripts in \`bench/\` on the machine described, except figures recorded from
one-off runs, which say so where they appear (earlier hot-path changes, optimisations tried and dropped, and a
memory control run). Each section says when and in which mode its numbers were taken.

## How to run

\`\`\`sh
npm run bench              # full: ring (60 s windows; -- --ring-seconds S to change), directory vs etcd (HTTP, watch socket vs gRPC, floor),
                           #   fan-out to 100 and 1,000 watchers, agent (60 s), scale (10,000 nodes)
npm run bench -- --quick   # smoke: ring 3 and 10 nodes (3 s windows), throughput at 20 connections (1.5 s), fan-out to 100, agent 10 s
npm run bench:scale        # what one change costs at N = 1,000-10,000 watchers (full lists, limit 64, floor, etcd, churn);
                           #   -- --quick: 250-1,000; -- --sizes=1000,2000 --etcd-sizes=… --churn=N --sections=floor,perChange,…
npm run bench -- --only scale   # 10,000 nodes renewing, 100 watchers
npm run bench -- --only throughput,fanout   # a subset; the other sections keep their previous results
npm run bench -- --only outage      # 1,000 in-process agents through a 60 s directory outage
node bench/probes.mjs      # reachability probes: one agent, 100 peers (-- --seconds S per run, default 60)
node bench/self-hosted.mjs # the release tarball: cold start, idle RSS, throughput beside the bench's workerd, SIGKILL mid-burst
node bench/report.mjs      # re-render this page from bench/results/latest.json
\`\`\`

Each run rebuilds \`dist/\` from the sources (\`scripts/build.mjs\`) and starts the real Worker bundle
(\`dist/worker/index.js\`) in the workerd binary on 127.0.0.1, from a workerd config generated from
\`wrangler.toml\` (\`bench/lib/directory.mjs\`, with the self-hosted directory's generator, \`scripts/directory/config.mjs\`): **the socket goes straight to the Worker**, with neither
\`wrangler dev\`'s proxy nor Miniflare's entry Worker in front. (Runs before 2026-11-26 went through Miniflare,
whose entry Worker adds a JavaScript hop to every request, so their throughput is not comparable with these.)
Durable Object state goes to a temporary directory. etcd, when
installed (\`apt-get install etcd-server\`, or \`ETCD_BIN=…\`), is started on 127.0.0.1 with a temporary data
dir and stopped afterwards; without it the etcd side is skipped with a message. Benchmarks are not tests: CI
may run \`--quick\` as a smoke check only.

## Machine

| | |
|---|---|
| CPUs (nproc) | ${m.nproc} |
| CPU model | ${m.cpuModel} |
| kernel | ${m.kernel} |
| Node | ${m.node} |
| workerd (npm \`workerd\`) | ${m.workerd} |
| etcd | ${m.etcd} |

The load generator, the servers and everything else share these ${m.nproc} cores, and other work was running
on the machine at the same time. Numbers are from one run each: read them as ratios and orders of magnitude,
not as absolute capacity.
`);

  // ---- goals
  if (r.goals?.length) {
    const verdict = (g) => (g.met === null ? "not measured" : g.met ? "**met**" : "**not met**");
    parts.push(`## Goals

Judged by \`bench/lib/goals.mjs\` from this results file (the same run, side by side, 20 connections); also in
\`latest.json\` as \`goals[]\`. A ratio is peerdir's figure over the other side's.

${table(
  ["goal", "measured ratio", "bound", "verdict"],
  r.goals.map((g) => [g.goal, n(g.measured, 2), n(g.bound, 2), verdict(g)]),
)}
`);
  }

  // ---- ring
  if (r.ring?.length) {
    const rd = d.ring ?? {};
    const sizes = [...new Set(r.ring.map((x) => x.nodes))];
    const systems = ["k3s-before-fix", "k3s-after-fix", "peerdir"];
    const get = (s, nodes) => r.ring.find((x) => x.system === s && x.nodes === nodes);
    const chart = svg(
      "ring.svg",
      barChart({
        title: "Ring experiment: requests per node per minute",
        unit: "requests/node/min",
        log: true,
        groups: sizes.map((nodes) => ({
          label: `${nodes} nodes`,
          bars: systems.filter((s) => get(s, nodes)).map((s) => ({ series: s, value: get(s, nodes).requestsPerNodePerMinute })),
        })),
      }),
    );
    const fuse = (rd.runs ?? []).filter((x) => x.fuseTrips > 0).map((x) => `${x.nodes} nodes: ${x.fuseTrips}`);
    parts.push(`## Ring experiment

${rd.at ?? ""} (${rd.mode ?? r.mode}), window **${rd.windowSeconds} s** per run. Rings of ${sizes.join(", ")} nodes on 127.0.0.1;
node *i*'s \`--server\` upstream is node *i+1* (the last points back at the first).

${table(
  ["system", "nodes", "requests/node/min", "CPU s/node/min", "log lines/node/min"],
  r.ring.map((x) => [x.system, x.nodes, n(x.requestsPerNodePerMinute), n(x.cpuSecondsPerNodePerMinute, 3), n(x.logLinesPerNodePerMinute)]),
)}

${chart}

**The three systems.**

- \`k3s-before-fix\` (\`bench/lib/k3s-node.mjs --mode before\`, one process per node): the \`/v1-k3s/p2p\` handler runs the
  chaining bootstrapper, which calls *every* bootstrapper and merges the results: the server bootstrapper (the node
  list), the agent bootstrapper (an HTTP GET of \`/v1-k3s/p2p\` on the \`--server\` upstream) and the self
  bootstrapper. The embedded spegel-like client calls the same chain on every readiness check (every
  ${rd.readinessIntervalSeconds} s, with a ${rd.readinessTimeoutSeconds} s time-out). So each readiness check starts a chain of nested requests
  round the ring that only its time-out ends: when the outermost request is cancelled, each hop's context is
  cancelled in turn, the agent bootstrapper fails, and every hop still answers with the merged server + self
  addresses and logs \`Serving p2p peer addrs … to client at …\` (the debug line from the reproduction).
- \`k3s-after-fix\` (\`--mode after\`): the first bootstrapper that returns peers wins; the server bootstrapper answers from
  the local (informer) cache; the handler admits at most 20 requests in flight (429 beyond). Same readiness client.
- \`peerdir\`: real agents (\`bin/peerdir-agent.mjs\`, default transport and intervals, \`--log-level debug\` so that
  logging is compared at the same level as the k3s debug line) against the local directory, and the same
  readiness client asking each agent's local \`/v1-k3s/p2p\` once a second. The agents never call each other, so the
  ring topology does not exist for them.

**What is counted.** *Requests*: peer-list requests a node answers or makes — the local client's readiness
checks plus every \`/v1-k3s/p2p\` request the node's server handles (k3s models), or the readiness checks to the
agent plus the agent's requests to the directory (peerdir; from the agents' \`peerdir_agent_requests_total\`).
*CPU*: user + system CPU of the node processes in the window; for peerdir this **includes** the directory's
workerd and the readiness-check driver, shared out per node (the k3s models leave out the Kubernetes API server
that the real pre-fix server bootstrapper also called on every request). *Log lines*: lines written in the window.

**Caveats.** The pre-fix ring is CPU-bound: its chains run as fast as the machine lets them, so its per-node
figures fall as the ring grows only because ${m.nproc} cores are shared by all nodes (total CPU stays near the
machine's limit) — on real servers each node has its own cores and the per-node numbers would stay at the
small-ring level. A safety fuse (not in k3s) makes a model node with more than 400 requests in flight answer 503 at
once, to keep the machine usable; ${fuse.length ? `it tripped (${fuse.join("; ")})` : "it did not trip in this run"}. In quick mode the windows are a few seconds and
CPU is read in 10 ms ticks, so small CPU figures are coarse.
`);
    if (rd.runs) {
      parts.push(`<details><summary>Per-run counters</summary>

\`\`\`json
${JSON.stringify(rd.runs, null, 1)}
\`\`\`
</details>
`);
    }
  }

  // ---- throughput
  if (d.throughput?.runs?.length) {
    const td = d.throughput;
    const rows = [];
    const groups = [];
    for (const c of td.concurrencies) {
      for (const op of ["renew", "unchanged", "handout100", "heartbeat", "renewSocket"]) {
        const p = td.runs.find((x) => x.system === "peerdir" && x.op === op && x.connections === c);
        const e = td.runs.find((x) => x.system === "etcd" && x.op === op && x.connections === c);
        rows.push([
          op,
          c,
          n(p?.opsPerSec, 0),
          n(p?.p50Ms, 2),
          n(p?.p99Ms, 2),
          n(e?.opsPerSec, 0),
          n(e?.p50Ms, 2),
          n(e?.p99Ms, 2),
          p && e ? `**${n(p.opsPerSec / e.opsPerSec, 2)}**` : "n/a",
          n(p?.serverCpuUsPerOp, 1),
          n(e?.serverCpuUsPerOp, 1),
        ]);
        groups.push({ label: `${op} @${c}`, bars: [p && { series: "peerdir", value: p.opsPerSec }, e && { series: "etcd", value: e.opsPerSec }].filter(Boolean) });
      }
    }
    const chart = svg("throughput.svg", barChart({ title: "Directory vs etcd: operations per second", unit: "ops/s", groups }));
    parts.push(`## Directory vs etcd

${td.at} (${td.mode}), ${td.secondsPerRun} s per run after 0.5 s of warm-up, etcd ${td.etcdVersion ?? "not run"}.${td.skipped ? ` **${td.skipped}.**` : ""}

${table(["op", "connections", "peerdir ops/s", "p50 ms", "p99 ms", "etcd ops/s", "p50 ms", "p99 ms", "ratio peerdir/etcd (ops/s)", "peerdir server CPU µs/op", "etcd server CPU µs/op"], rows)}

${chart}

**Method.** One closed-loop generator (\`bench/lib/loadgen.mjs\`, Node \`http\` with keep-alive, *c* connections, each
sending its next request when the previous answer has been read) drives both systems over HTTP/1.1 + JSON on
127.0.0.1, one system at a time. Only answers with the expected status count; latencies are per request.

| op | peerdir | etcd (v3 JSON gateway) |
|---|---|---|
| \`renew\` | \`PUT /v1/clusters/bench/nodes/{id}\` of an unchanged lease (200), round-robin over 101 nodes | \`POST /v3/lease/keepalive\` of a granted lease, round-robin over 100 leases |
| \`unchanged\` | \`GET …/peers\` with a current \`If-None-Match\` (304) | \`POST /v3/kv/range\` of one small key |
| \`handout100\` | \`GET …/peers\` → 200 with 100 peers (${n(td.handoutBytes, 0)} bytes of peers) | \`POST /v3/kv/range\` over a prefix of 100 records, each the JSON of one peer |
| \`refuseForged\` | \`GET /v1/clusters/forged-{i}/nodes/n1/peers\` with a token minted for that made-up cluster under another key, or a real credential of \`bench\`, each request from its own client address: 401 from the Worker, no Durable Object call | (none) |

**Native against native** (\`bench/native.mjs\`): the socket operations use one stream per node, each on its own
connection, driven by one closed-loop generator for streams (\`bench/lib/streamload.mjs\`) in the same Node process
for both systems; etcd is called through its native gRPC API, with the protos the \`etcd3\` npm package ships loaded
by \`@grpc/proto-loader\` and called with \`@grpc/grpc-js\`, one HTTP/2 connection per stream.

| op | peerdir (watch socket) | etcd (gRPC) |
|---|---|---|
| \`heartbeat\` | the text \`ping\` on the node's watch socket, answered \`pong\` by the runtime (\`setWebSocketAutoResponse\`) without waking the object | one \`LeaseKeepAlive\` request on the lease's stream, and its answer |
| \`renewSocket\` | \`{"type":"renew","addrs":[…],"labels":{…},"ttlSeconds":…}\` on the node's watch socket, answered \`{"type":"renewed",…}\` by the object | the same \`LeaseKeepAlive\` stream |

The cluster's \`minIntervalSeconds\` is set to 0 (\`PATCH /v1/admin/clusters/bench\`), which turns the per-node rate
limit off so that it does not throttle the load generator; in production it stays on. *Server CPU ms/op* is the
server process's CPU (workerd or etcd, from \`/proc/<pid>/stat\`) over the run divided by the operations served: it is
less sensitive to the noisy machine than ops/s. \`latest.json\`'s \`throughput[]\` holds the 20-connection runs
(\`serverCpuUsPerOp\` on every row) and \`floor[]\` the floor at 20 connections; all runs are in \`details.throughput\`.
`);
    if (td.floor?.length) parts.push(floorSection(td, m.nproc));
  }

  // ---- fan-out
  if (r.joinToWatchers?.length) {
    const fd = d.joinToWatchers ?? {};
    const runs = fd.runs ?? [];
    const sizes = [...new Set(r.joinToWatchers.map((x) => x.watchers))];
    const rows = [];
    for (const w of sizes) {
      for (const system of ["peerdir", "etcd", "etcd-multiplexed"]) {
        const x = runs.find((y) => y.system === system && y.watchers === w) ?? r.joinToWatchers.find((y) => y.system === system && y.watchers === w);
        const label =
          system === "etcd-multiplexed"
            ? `etcd, ${x?.connections ?? 20} shared connections (extra row)`
            : system === "etcd" && x?.connections
              ? "etcd, one connection per watcher"
              : system;
        if (x) rows.push([label, n(w, 0), n(x.p50Ms, 2), n(x.p99Ms, 2), n(x.eachWatcherP50Ms, 2), n(x.eachWatcherP99Ms, 2), x.joins ? `${x.joinsSeenByAll} of ${x.joins}` : ""]);
      }
    }
    parts.push(`## A join seen by N watchers

${fd.at ?? ""} (${fd.mode ?? r.mode}): \`bench/native.mjs\` \`runFanout\`. **peerdir**: N registered nodes, each holding its own watch
socket (\`GET …/watch\`, full lists: \`defaultLimit\` none); a new node joins with one \`PUT\`. **etcd**: N gRPC \`Watch\` streams on the
cluster's key prefix, one HTTP/2 connection per watcher as real nodes have (and, as an extra row, the same streams multiplexed over
${fd.etcdMultiplexed ?? 20} shared connections, which no fleet of separate nodes has); a join is one \`Put\` of the node's record under a lease
granted beforehand (the grant is not timed: etcd gets the cheaper path). Neither side compresses its messages (peerdir's
Worker sets \`no_web_socket_compression\`; etcd's gRPC sends uncompressed). ${fd.joins ?? ""} joins, one after another, 100 ms apart.
The time of a join is from sending it to the moment the **last** of the N watchers has it; p50/p99 over the joins
(\`joinToWatchers[]\`), and beside it the same per watcher.

${table(["system", "watchers", "join → all, p50 ms", "join → all, p99 ms", "join → each, p50 ms", "join → each, p99 ms", "joins seen by all"], rows)}
`);
  }

  // ---- agent
  if (r.agent) {
    const ad = d.agent ?? {};
    const chart = svg(
      "agent.svg",
      barChart({
        title: "Agent overhead, steady state, 100 peers",
        unit: "value",
        groups: [
          { label: "CPU % of one core", bars: [{ series: "peerdir-agent", value: r.agent.cpuPercent }] },
          { label: "RSS MiB", bars: [{ series: "peerdir-agent", value: r.agent.rssMiB }] },
          { label: "requests/min", bars: [{ series: "peerdir-agent", value: r.agent.requestsPerMinute }] },
        ],
      }),
    );
    parts.push(`## Agent overhead

${ad.at ?? ""} (${ad.mode ?? r.mode}): one real agent (default options${ad.transport ? `, transport \`${ad.transport}\`` : ""}) in a cluster with 100 other
registered nodes, measured for ${n(ad.windowSeconds)} s after start-up (healthy, first probe results sent) and ${ad.settleSeconds} s more.
The headline: ${ad.headline ?? `the agent on Node ${ad.node}`}.

${table(["CPU % of one core", "RSS MiB (mean)", "RSS MiB (max)", "directory requests/min", "log lines in window"], [[n(r.agent.cpuPercent, 3), n(r.agent.rssMiB), n(ad.rssMaxMiB), n(r.agent.requestsPerMinute), n(ad.logLinesInWindow, 0)]])}

${chart}

CPU is the agent process's run time, all its threads, from \`/proc/<pid>/task/*/schedstat\` (nanoseconds) over the window; RSS is
\`VmRSS\` from \`/proc/<pid>/status\`, sampled every second; requests come from the agent's own
\`peerdir_agent_requests_total\` (HTTP requests, by kind: \`${JSON.stringify(ad.requestsByKind ?? {})}\`); messages received on
the watch in the window, from \`peerdir_agent_watch_messages_total\`: \`${JSON.stringify(ad.watchMessagesInWindow ?? {})}\`.
${
  ad.consumerCounting
    ? `
Counting a local consumer's request (consumer-loop detection, docs/agent.md#consumer-loops) costs
${n(ad.consumerCounting.nsPerRequest, 1)} ns per request on Node ${ad.consumerCounting.node} (goal: ≤ 1 µs): ${n(ad.consumerCounting.steadyNs, 1)} ns with detection on and no loop,
${n(ad.consumerCounting.loopingNs, 1)} ns while a loop lasts, ${n(ad.consumerCounting.offNs, 1)} ns with detection off; the agent's own code, bundled from src/,
${ad.consumerCounting.calls.toLocaleString("en")} calls with the real clock, median of ${ad.consumerCounting.rounds} rounds, loop overhead included
(\`bench/lib/consumer-counting.mjs\`). Without a loop nothing else runs (no timer), and the agent above, with no consumer looping
(\`peerdir_agent_consumer_looping\` ${ad.consumerLooping ?? 0}), made the directory requests shown.
`
    : ""
}${
  ad.nodeFloorMiB !== undefined
    ? `
Where the RSS goes, on Node ${ad.node}: an idle Node.js on the same binary (\`node -e 'setInterval(()=>{},1e3)'\`) is
${n(ad.nodeFloorMiB)} MiB, the agent's V8 heap ${n(ad.heapTotalMiB)} MiB reserved (${n(ad.heapUsedMiB)} MiB used) and ${n(ad.externalMiB)} MiB outside
it (\`peerdir_agent_memory_bytes\`); the rest is the code of the built-ins the agent loads (http, net, crypto,
fs, child_process) and its own. See docs/agent.md#footprint.
`
    : ""
}${
  Array.isArray(ad.runs)
    ? `
Every Node.js found here, plain and with \`--lite-mode\` (as deploy/systemd and the DaemonSet run it), side by side in the same window, each with its own 100 peers:

${table(
  ["Node", "Node options", "CPU % of one core", "RSS MiB (mean)", "Node floor MiB", "over the floor MiB", "requests/min", "transport"],
  ad.runs.map((x) => [x.node, x.nodeOptions || "(none)", n(x.cpuPercent, 3), n(x.rssMiB), n(x.nodeFloorMiB), n(x.rssMiB - x.nodeFloorMiB), n(x.requestsPerMinute), x.transport]),
)}
`
    : ""
}`);
  }

  // ---- outage
  if (r.outage) {
    const o = r.outage;
    parts.push(`## Outage: \`npm run bench -- --only outage\`

${o.at ?? ""} (${o.mode ?? r.mode}): ${o.agents} in-process agents (the real agent code, transport \`${o.transport}\`, default
flags) against the real Worker behind a TCP proxy that refuses connections for ${o.outageSeconds} s. Requests the fleet aims at
the directory per second, counted from the agents' own request counters (docs/agent.md#outages):

${table(
  ["phase", "peak/s", "p99/s", "mean/s"],
  [
    ["outage", n(o.outage.peakPerSecond, 0), n(o.outage.p99PerSecond, 0), n(o.outage.meanPerSecond, 1)],
    [`recovery (${o.recovery.seconds} s)`, n(o.recovery.peakPerSecond, 0), n(o.recovery.p99PerSecond, 0), n(o.recovery.meanPerSecond, 1)],
  ],
)}

Every agent synced again ${n(o.timeToAllSyncedSeconds, 1)} s after the directory's return; log lines per agent over the
outage and the recovery: median ${n(o.logLinesPerAgent.median, 0)}, max ${n(o.logLinesPerAgent.max, 0)}.
`);
  }

  // ---- scale
  if (r.scale) {
    const s = r.scale;
    const chart = svg(
      "scale.svg",
      barChart({
        title: `Scale: ${s.nodes.toLocaleString("en-US")} nodes, ${s.watchers} watchers — latency`,
        unit: "ms",
        groups: [
          {
            label: "renew",
            bars: [
              { series: "p50", value: s.renew.p50Ms },
              { series: "p99", value: s.renew.p99Ms },
            ],
          },
          {
            label: `handout (limit ${s.handout.limit})`,
            bars: [
              { series: "p50", value: s.handout.p50Ms },
              { series: "p99", value: s.handout.p99Ms },
            ],
          },
          {
            label: "join → all watchers",
            bars: [
              { series: "p50", value: s.joinToAllWatchers.p50Ms },
              { series: "p99", value: s.joinToAllWatchers.p99Ms },
            ],
          },
        ],
      }),
    );
    parts.push(`## Scale: \`npm run bench:scale\`

${s.at} (${s.mode}): one cluster, **${n(s.nodes, 0)} registered nodes** renewing at TTL/3 (TTL ${s.ttlSeconds} s: ${n(s.renew.perSecond, 0)} renewals/s),
**${s.watchers} WebSocket watchers** (\`GET …/watch\`, credential in the \`bearer.<credential>\` subprotocol), ${n(s.handout.perSecond, 0)} handout requests/s
(\`?limit=${s.handout.limit}\`, random nodes) and one new node joining every ${s.mode === "quick" ? "0.5" : "1"} s, measured for ${n(s.windowSeconds)} s.

${table(
  ["measure", "p50", "p99", "samples"],
  [
    ["renew (PUT, unchanged lease), ms", n(s.renew.p50Ms, 2), n(s.renew.p99Ms, 2), n(s.renew.count, 0)],
    [`handout (GET …/peers?limit=${s.handout.limit}, 200, ~${n(s.handout.meanBytes, 0)} bytes), ms`, n(s.handout.p50Ms, 2), n(s.handout.p99Ms, 2), n(s.handout.count, 0)],
    [
      `join → all ${s.watchers} watchers have it, ms`,
      n(s.joinToAllWatchers.p50Ms, 2),
      n(s.joinToAllWatchers.p99Ms, 2),
      `${s.joinToAllWatchers.joinsSeenByAll} of ${s.joinToAllWatchers.joins} joins`,
    ],
    ["join → one watcher has it, ms", n(s.joinToEachWatcher.p50Ms, 2), n(s.joinToEachWatcher.p99Ms, 2), n(s.joinToEachWatcher.count, 0)],
  ],
)}

${table(
  ["memory (workerd VmRSS)", "MiB"],
  [
    ["idle, empty cluster", n(s.memory.idleRssMiB)],
    [`${n(s.nodes, 0)} nodes registered`, n(s.memory.registeredRssMiB)],
    [`+ ${s.watchers} watchers connected`, n(s.memory.watchersRssMiB)],
    ["end of the measured window", n(s.memory.endRssMiB)],
  ],
)}

${chart}

- **Memory.** What is measured is the RSS of the whole workerd process (the Worker, the cluster's Durable Object,
  its SQLite page cache, the runtime), not the object's heap alone: the best proxy available outside the runtime.
  The growth from idle to ${n(s.nodes, 0)} nodes + ${s.watchers} watchers is ${n(s.memory.growthWithNodesAndWatchersMiB)} MiB.
- ${
      s.rowsWritten
        ? `**Rows written in the window: ${n(s.rowsWritten.sqlRows, 0)} by SQL + ${n(s.rowsWritten.alarmsSet, 0)} alarms, ${n(s.rowsWritten.perRenewal, 3)} per renewal at most** (${s.rowsWritten.how}).`
        : `**Rows written per renewal: ${s.rowsWrittenPerRenewal.value} (derived, not measured, before renewals stopped being written).** ${s.rowsWrittenPerRenewal.how}.`
    }
- **Errors.** Renewals that did not answer 200: ${s.renew.errors}. The directory's workerd used ${n(s.directoryCpuPercent)} % of one core during the window.
- Registering the ${n(s.nodes, 0)} nodes (32 at a time, with the join token) took ${n(s.registerSeconds)} s; connecting the watchers
  (each first receives a snapshot of ${s.snapshotPeers.join("/")} peers) took ${n(s.watchConnectSeconds)} s. The per-node rate limit is off
  (\`minIntervalSeconds\` 0) so that the load generator is not throttled.
- The join latency is measured from sending the join's \`PUT\` to the arrival of the delta that carries the new id,
  in the same process: it includes the registration itself and the delivery to ${s.watchers} sockets.
`);
  }

  const changes = changesSection(r.changes);
  if (changes) parts.push(changes);
  const storm = reconnectStormSection();
  if (storm) parts.push(storm);

  const probesPath = join(root, "bench/results/probes.json");
  if (existsSync(probesPath)) {
    const pr = JSON.parse(readFileSync(probesPath, "utf8"));
    const row = (name, x) => [name, `${x.probeIntervalSeconds} s`, n(x.probesPerMinute), n(x.cpuPercent, 3), n(x.rssMiB), n(x.directoryRequestsPerMinute)];
    parts.push(`## Reachability probes: \`node bench/probes.mjs\`

${pr.at}: one real agent with ${pr.peers} peers in its handout, on 127.0.1.x addresses, ${pr.peersListening} of them with a real
TCP listener (the probe connects) and the rest without (refused), each run measured after a 10 s settle (for
${n(pr.results.baseline.windowSeconds, 0)} s; \`default\` for ${n(pr.results.default.windowSeconds, 0)} s, four intervals, since one interval catches a varying part of the jittered rounds). \`baseline\` probes once an hour (so no probe falls in the window), \`default\` once a minute per
peer (the default), \`stress\` once a second per peer.

${table(
  ["run", "--probe-interval", "probes/min", "CPU % of one core", "RSS MiB", "directory requests/min"],
  Object.entries(pr.results).map(([name, x]) => row(name, x)),
)}

Probes per minute come from the agent's own \`peerdir_agent_probes_total\`; CPU and RSS from \`/proc\` as above. The
default's rate is bounded by design: at most one probe per peer per interval (plus 0-25 % jitter), so
100 peers give under 100 a minute, whatever the cluster's size. Reports ride on renewals, so the directory
requests per minute do not move with probing.${
      pr.results.stress && pr.results.baseline
        ? ` From the stress run, one probe costs about ${n((((pr.results.stress.cpuPercent - pr.results.baseline.cpuPercent) / 100) * 60_000) / pr.results.stress.probesPerMinute, 2)} ms of CPU, so the default's
probes add about ${n((((pr.results.stress.cpuPercent - pr.results.baseline.cpuPercent) / pr.results.stress.probesPerMinute) * 100) / 1.125, 3)} % of a core at 100 peers: below what this machine can tell from the baseline.`
        : ""
    }
`);
  }

  const selfHostedPath = join(root, "bench/results/self-hosted.json");
  if (existsSync(selfHostedPath)) {
    const h = JSON.parse(readFileSync(selfHostedPath, "utf8"));
    const goal = (ok) => (ok ? "met" : "**missed**");
    parts.push(`## Self-hosted: \`node bench/self-hosted.mjs\`

${h.date}${h.quick ? " (quick)" : ""}, ${h.machine}: the release tarball (${n(h.tarball.compressedMiB)} MiB, ${n(h.tarball.unpackedMiB)} MiB unpacked) as
operators run it, its \`bin/peerdir-directory\` on a local data directory ([deploy.md](deploy.md#self-hosted)). One run;
this machine is shared, so the throughput rows of both sides come from the same minutes, one side after the other.

${table(
  ["goal", "measured", "target", ""],
  [
    [
      "cold start to a 200 from /healthz, empty data directory (median / max)",
      `${n(h.coldStart.empty.medianMs, 0)} / ${n(h.coldStart.empty.maxMs, 0)} ms`,
      "≤ 2,000 ms",
      goal(h.coldStart.empty.maxMs <= 2000),
    ],
    [
      "cold start with 10 clusters (median / max)",
      `${n(h.coldStart.tenClusters.medianMs, 0)} / ${n(h.coldStart.tenClusters.maxMs, 0)} ms`,
      "≤ 2,000 ms",
      goal(h.coldStart.tenClusters.maxMs <= 2000),
    ],
    [
      `idle RSS, ${h.idle.clusters} clusters of ${h.idle.nodesPerCluster} nodes, objects loaded (workerd + launcher)`,
      `${n(h.idle.workerdMiB)} + ${n(h.idle.launcherMiB)} MiB`,
      "≤ 100 MiB",
      goal(h.idle.totalMiB <= 100),
    ],
    [
      `SIGKILL after ${n(h.sigkill.acknowledged, 0)} of ${n(h.sigkill.writes, 0)} writes acknowledged: acknowledged writes lost`,
      n(h.sigkill.lost, 0),
      "0",
      goal(h.sigkill.lost === 0),
    ],
    [
      `all ${h.sigkill.agents} agents back on their watch sockets, from the kill (restart took ${n(h.sigkill.restartMs / 1000, 1)} s)`,
      `${n(h.sigkill.reattachAfterKillMs / 1000, 1)} s`,
      "≤ 30 s",
      goal(h.sigkill.reattachAfterKillMs <= 30_000),
    ],
  ],
)}

Throughput, the HTTP rows of [the Worker against etcd](#directory-vs-etcd) (bench/throughput.mjs, ${h.throughput.seconds} s per row), against the
tarball and against the bench's Cloudflare-local workerd (the same bundle and config generator, the client address from
CF-Connecting-IP); goal: the tarball within 10 %:

${table(
  ["operation", "connections", "Cloudflare-local ops/s (p50 ms)", "self-hosted ops/s (p50 ms)", "self-hosted / local"],
  h.throughput.rows.map((r) => [
    r.op,
    r.connections,
    `${n(r.cloudflareLocal.opsPerSec, 0)} (${n(r.cloudflareLocal.p50Ms, 2)})`,
    `${n(r.selfHosted.opsPerSec, 0)} (${n(r.selfHosted.p50Ms, 2)})`,
    `${n(r.ratio, 2)}×`,
  ]),
)}
`);
  }

  const soakPath = join(root, "bench/results/soak.json");
  if (existsSync(soakPath)) {
    const k = JSON.parse(readFileSync(soakPath, "utf8"));
    const lat = (kind) => (k.latencyMs[kind] ? `${n(k.latencyMs[kind].p50, 2)} / ${n(k.latencyMs[kind].p99, 2)}` : "–");
    parts.push(`## Soak: \`npm run soak\`

${k.date}: ${n(k.config.nodes, 0)} simulated nodes for ${n(k.elapsedSeconds, 0)} s against local workerd, TTL ${k.config.ttlSeconds} s, ${
      (k.config.transport ?? "http") === "watch"
        ? `**on socket-held leases**: each node joins with one \`PUT\`, opens its watch socket (full lists, as the agent does) and pings it every
0.8 × \`renewAfterSeconds\` as the agent does (no renewal requests; after a late pong, an error, it renews over HTTP as the agent does), and
checks its lease with a \`GET …/peers\` (If-None-Match) every ${k.config.verifyEverySeconds} s; every timer jittered; churn ${k.config.churn} per ping`
        : `renewing over HTTP, handout every ${k.config.peersEverySeconds} s with \`limit=${k.config.limit}\`, churn ${k.config.churn} per renewal`
    }.

${table(
  ["measure", "value"],
  [
    ["requests (per second)", `${n(k.requests, 0)} (${n(k.requestsPerSecond, 0)})`],
    ["joins / leaves", `${n(k.joins, 0)} / ${n(k.leaves, 0)}`],
    ["errors", n(k.errors, 0)],
    ["lost leases", n(k.lostLeases, 0)],
    ["live at the end (directory / nodes' own view)", `${k.liveAtEnd.directory} / ${k.liveAtEnd.nodes}`],
    ...((k.config.transport ?? "http") === "watch"
      ? [
          ["ping → pong p50 / p99, ms", lat("ping")],
          ["lease check (GET …/peers) p50 / p99, ms", lat("verify")],
        ]
      : [
          ["renew p50 / p99, ms", lat("renew")],
          ["peers p50 / p99, ms", lat("peers")],
        ]),
    ...(k.storageWrites
      ? [
          [
            `rows written in the steady window (${n(k.storageWrites.windowSeconds, 0)} s): SQL + alarms`,
            `${n(k.storageWrites.sqlRowsWritten, 0)} + ${n(k.storageWrites.alarmsSet, 0)}`,
          ],
          [
            "**rows written per node per hour** (with the alarms / leases alone)",
            `**${n(k.storageWrites.rowsPerNodePerHour, 3)}** / ${n(k.storageWrites.leaseRowsPerNodePerHour, 3)}`,
          ],
        ]
      : []),
    ...(k.memory.heapEarlyMiB != null
      ? [
          [
            "directory JS heap after a forced GC, early → late in the steady window, MiB",
            `${n(k.memory.heapEarlyMiB)} → ${n(k.memory.heapLateMiB)} (${k.memory.flat ? "flat" : "growing"})`,
          ],
        ]
      : []),
    ["workerd RSS early → late in the steady window, MiB", `${n(k.memory.rssEarlyMiB)} → ${n(k.memory.rssLateMiB)}`],
    ...(k.clientLoopDelayMs
      ? [["the soak process's own event-loop delay p99 / max, ms (a stall there delays pongs on its side)", `${n(k.clientLoopDelayMs.p99)} / ${n(k.clientLoopDelayMs.max)}`]]
      : []),
  ],
)}

- **Memory is judged on the directory isolate's JS heap after a forced GC** (V8 inspector), and workerd's RSS is
  recorded beside it. ${
    k.memory.rssLateMiB <= k.memory.rssEarlyMiB * 1.2
      ? `In this run RSS stayed flat too (${n(k.memory.rssEarlyMiB)} → ${n(k.memory.rssLateMiB)} MiB): the directory runs in the workerd binary directly. Earlier soaks ran through Miniflare, and there RSS grew under load whatever the Worker did (recorded then, not regenerated: a trivial \`fetch() { return new Response("ok") }\` Worker went from 157 to 657 MiB over 81,000 requests), so that growth belonged to Miniflare's side of the local runtime, not to workerd or the directory.`
      : `RSS grew in this run (${n(k.memory.rssEarlyMiB)} → ${n(k.memory.rssLateMiB)} MiB) while the heap did not; RSS covers the whole local runtime (SQLite page cache, allocator), so the heap is what tells a leak in the directory.`
  }
  The directory's own in-memory caches are
  bounded by design (handout bodies at 8 MiB of text, address verdicts at 4,096 entries, the change log by
  version count and max TTL).
${
  k.storageWrites
    ? `- **Rows written** are counted inside workerd by \`bench/lib/counting-worker.js\` (the real bundle, with the cluster
  object's \`sql.exec\` and \`setAlarm\` counted: \`cursor.rowsWritten\` of every statement, one row per alarm set, as
  Cloudflare bills them), from the end of warm-up to the end. In steady state the leases write nothing; what is
  left is the cluster's expiry-check alarm, one row per check for the whole cluster.
`
    : ""
}`);
  }

  parts.push(hotPathsSection());

  parts.push(`## Timings of the last run

${table(
  ["section", "seconds"],
  Object.entries(r.timings ?? {}).map(([k, v]) => [k, n(v)]),
)}
`);
  writeFileSync(join(root, "docs/BENCHMARKS.md"), parts.join("\n"));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeReport(JSON.parse(readFileSync(join(root, "bench/results/latest.json"), "utf8")));
}
