/**
 * Native against native: peerdir's watch socket against etcd's gRPC API, both driven by the
 * same closed-loop generator in this one Node process (lib/streamload.mjs).
 *   heartbeat    peerdir: "ping" on the watch socket, answered "pong" by the runtime
 *                (setWebSocketAutoResponse) without waking the object
 *                etcd: one LeaseKeepAlive request on a gRPC stream
 *   renewSocket  peerdir: {"type":"renew",…} with the node's record on the watch socket,
 *                answered {"type":"renewed",…} by the object
 *                etcd: the same LeaseKeepAlive stream
 * One stream per node (lease), each on its own connection. And the fan-out: a join seen by N
 * watchers, peerdir's watch sockets against etcd's gRPC Watch on the prefix.
 */
import { nodeAddr, startDirectory } from "./lib/directory.mjs";
import { etcdConnection } from "./lib/etcd-grpc.mjs";
import { findEtcd, startEtcd } from "./lib/etcd.mjs";
import { describeRow, measureLoad } from "./lib/measure.mjs";
import { percentile, round, sleep } from "./lib/proc.mjs";
import { openSocket, streamLoad } from "./lib/streamload.mjs";

/** One measured run: the load, and the server process's CPU over the same window. */
export async function measureStreams({ system, op, pid, streams, seconds, connections, log }) {
  const { result: r, fields } = await measureLoad(pid, () => streamLoad({ streams, seconds }));
  if (r.errors) log(`native: ${system} ${op}: ${r.errors} errors, first: ${r.unexpected}`);
  const row = { system, op, connections, ...fields };
  log(`native: ${system.padEnd(7)} ${op.padEnd(11)} c=${connections}: ${describeRow(row)}`);
  return row;
}

/** peerdir's side: one watch socket per node, for `nodes` registered with `{ id, auth, body }`. */
export async function peerdirSocketOps({ url, cluster, nodes }) {
  const wsBase = url.replace(/^http/, "ws");
  const sockets = [];
  for (const n of nodes) {
    const credential = n.auth.slice("Bearer ".length);
    sockets.push({ node: n, socket: await openSocket(`${wsBase}/v1/clusters/${cluster}/nodes/${n.id}/watch`, ["peerdir", `bearer.${credential}`], { greeting: true }) });
  }
  return {
    heartbeat: sockets.map(
      ({ socket }) =>
        async () =>
          (await socket.request("ping")) === "pong",
    ),
    renewSocket: sockets.map(({ node, socket }) => {
      const message = JSON.stringify({ type: "renew", ...JSON.parse(node.body) });
      return async () => String(await socket.request(message)).startsWith('{"type":"renewed"');
    }),
    close: () => {
      for (const { socket } of sockets) socket.close();
    },
  };
}

/** etcd's side: one lease per node, each kept alive on its own stream on its own connection. */
export async function etcdSocketOps({ url, count }) {
  const conns = [];
  const streams = [];
  for (let i = 0; i < count; i++) {
    const c = etcdConnection(url);
    conns.push(c);
    const { ID } = await c.leaseGrant({ TTL: 3600 });
    const stream = c.keepAliveStream();
    streams.push(async () => {
      const res = await stream.keepAlive(ID);
      return res.ID === ID && Number(res.TTL) > 0;
    });
  }
  return {
    heartbeat: streams,
    renewSocket: streams,
    close: () => {
      for (const c of conns) c.close();
    },
  };
}

/**
 * A join seen by N watchers. peerdir: N registered nodes each holding a watch socket (full
 * lists: the cluster's defaultLimit set to none); a new node registers with one PUT. etcd: N
 * Watch streams on the prefix, one connection per watcher as real nodes have (row `etcd`), and
 * the same over `multiplexed` shared connections (row `etcd-multiplexed`, an extra row: real
 * nodes do not share connections); a join is one Put of the node's record under a lease
 * granted beforehand (not timed, to give etcd the cheaper path). Latency: from sending the
 * join to the moment the last of the N watchers has it; p50/p99 over the joins.
 */
export async function runFanout({ quick, log = console.error, sizes = quick ? [100] : [100, 1000], joins = quick ? 10 : 30, multiplexed = 20 }) {
  const rows = [];
  const details = [];
  const etcdBin = findEtcd();
  for (const watchers of sizes) {
    const p = await fanoutPeerdir({ watchers, joins, log });
    rows.push({ system: "peerdir", watchers, p50Ms: p.p50Ms, p99Ms: p.p99Ms });
    details.push({ system: "peerdir", watchers, ...p });
    if (etcdBin) {
      for (const [system, connections] of [
        ["etcd", watchers],
        ["etcd-multiplexed", multiplexed],
      ]) {
        const e = await fanoutEtcd({ bin: etcdBin, watchers, joins, connections, log });
        rows.push({ system, watchers, connections, p50Ms: e.p50Ms, p99Ms: e.p99Ms });
        details.push({ system, watchers, connections, ...e });
      }
    }
  }
  return { rows, details, joins, connections: "one per watcher", multiplexed };
}

function summarize(allSeen, perWatcher, joins) {
  allSeen.sort((a, b) => a - b);
  perWatcher.sort((a, b) => a - b);
  return {
    joins,
    joinsSeenByAll: allSeen.length,
    p50Ms: round(percentile(allSeen, 50), 2),
    p99Ms: round(percentile(allSeen, 99), 2),
    eachWatcherP50Ms: round(percentile(perWatcher, 50), 2),
    eachWatcherP99Ms: round(percentile(perWatcher, 99), 2),
  };
}

/** Runs `joins` joins one after another; `join(id)` starts one; arrivals are reported through `seen`. */
async function timeJoins({ watchers, joins, join, pending, log, system }) {
  const allSeen = [];
  const perWatcher = [];
  for (let j = 0; j < joins; j++) {
    const id = `joiner-${String(j).padStart(3, "0")}`;
    const entry = { t0: performance.now(), count: 0, done: null };
    const done = new Promise((resolve) => (entry.done = resolve));
    pending.set(id, entry);
    entry.t0 = performance.now();
    await join(id);
    const ok = await Promise.race([done.then(() => true), sleep(10_000).then(() => false)]);
    pending.delete(id);
    if (ok) allSeen.push(entry.last - entry.t0);
    else log(`native: ${system} join ${id} reached ${entry.count} of ${watchers} watchers in 10 s`);
    for (const t of entry.arrivals ?? []) perWatcher.push(t - entry.t0);
    await sleep(100);
  }
  return summarize(allSeen, perWatcher, joins);
}

/** Counts one watcher's arrival of `id`; resolves the join when all have it. */
function arrived(pending, id, watchers, at) {
  const e = pending.get(id);
  if (!e) return;
  (e.arrivals ??= []).push(at);
  if (++e.count === watchers) {
    e.last = at;
    e.done();
  }
}

async function fanoutPeerdir({ watchers, joins, log }) {
  const CLUSTER = "fanout";
  const dir = await startDirectory();
  const sockets = [];
  try {
    const { joinToken } = await dir.admin.createCluster(CLUSTER, { minIntervalSeconds: 0, defaultLimit: null });
    const register = async (id, i) => {
      const res = await fetch(`${dir.url}/v1/clusters/${CLUSTER}/nodes/${id}`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${joinToken}`, "Content-Type": "application/json" },
        body: JSON.stringify({ addrs: [nodeAddr(i)], labels: { zone: "zone-a" }, ttlSeconds: 3600 }),
      });
      if (res.status !== 201) throw new Error(`register ${id}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()).credential;
    };
    const creds = [];
    for (let b = 0; b < watchers; b += 32) {
      const batch = [];
      for (let i = b; i < Math.min(watchers, b + 32); i++) batch.push(register(`watcher-${String(i).padStart(4, "0")}`, i + 1));
      creds.push(...(await Promise.all(batch)));
    }
    const pending = new Map();
    const wsBase = dir.url.replace(/^http/, "ws");
    const onOther = (data) => {
      const at = performance.now();
      const msg = JSON.parse(data);
      if (msg.type === "delta") for (const p of msg.upserts) arrived(pending, p.id, watchers, at);
    };
    for (let b = 0; b < watchers; b += 50) {
      const batch = [];
      for (let i = b; i < Math.min(watchers, b + 50); i++) {
        batch.push(
          openSocket(`${wsBase}/v1/clusters/${CLUSTER}/nodes/watcher-${String(i).padStart(4, "0")}/watch`, ["peerdir", `bearer.${creds[i]}`], { greeting: true, onOther }),
        );
      }
      sockets.push(...(await Promise.all(batch)));
    }
    await sleep(1000);
    let n = watchers + 1;
    const r = await timeJoins({ watchers, joins, pending, log, system: "peerdir", join: (id) => register(id, n++) });
    log(`native: peerdir join → ${watchers} watchers: p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms (${r.joinsSeenByAll}/${joins})`);
    return r;
  } finally {
    for (const s of sockets) s.close();
    await dir.stop();
  }
}

async function fanoutEtcd({ bin, watchers, joins, connections, log }) {
  const prefix = "/peerdir/fanout/peers/";
  const etcd = await startEtcd(bin);
  const conns = [];
  const streams = [];
  try {
    for (let c = 0; c < connections; c++) conns.push(etcdConnection(etcd.url));
    const pending = new Map();
    for (let w = 0; w < watchers; w++) {
      const onEvents = (events) => {
        const at = performance.now();
        for (const ev of events) arrived(pending, Buffer.from(ev.kv.key).toString().slice(prefix.length), watchers, at);
      };
      streams.push(await conns[w % connections].watchPrefix(prefix, onEvents));
    }
    const writer = etcdConnection(etcd.url);
    conns.push(writer);
    const leases = [];
    for (let j = 0; j < joins; j++) leases.push((await writer.leaseGrant({ TTL: 3600 })).ID);
    await sleep(1000);
    let j = 0;
    const r = await timeJoins({
      watchers,
      joins,
      pending,
      log,
      system: "etcd",
      join: async (id) => {
        const i = j++;
        await writer.put({
          key: Buffer.from(prefix + id),
          value: Buffer.from(JSON.stringify({ id, addrs: [nodeAddr(watchers + 1 + i)], labels: { zone: "zone-a" } })),
          lease: leases[i],
        });
      },
    });
    log(`native: etcd (${connections} connections) join → ${watchers} watchers: p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms (${r.joinsSeenByAll}/${joins})`);
    return r;
  } finally {
    for (const s of streams) s.cancel();
    for (const c of conns) c.close();
    await etcd.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runFanout({ quick: process.argv.includes("--quick") }), null, 2));
}
