/**
 * Directory vs etcd: the same closed-loop load generator, the same concurrency and machine.
 * Three operations, each one HTTP/1.1 + JSON request on both sides:
 *   renew      peerdir: PUT of an unchanged lease          etcd: POST /v3/lease/keepalive
 *   unchanged  peerdir: GET …/peers answered 304           etcd: POST /v3/kv/range of one small key
 *   handout100 peerdir: GET …/peers, 200 with 100 peers    etcd: POST /v3/kv/range over a 100-key prefix
 * and peerdir's `refuseForged`: GET …/peers naming made-up clusters with tokens minted under
 * another key or for another cluster, each from its own client address, refused 401 by the
 * Worker before any Durable Object (set beside the empty-Worker floor).
 * then the socket operations native against native (bench/native.mjs: `heartbeat` and
 * `renewSocket` on the watch socket against etcd's gRPC LeaseKeepAlive stream), and the
 * runtime floor (bench/lib/floor-worker.js) in the same run: an empty Worker, an empty Worker →
 * Durable Object RPC and an empty Durable Object socket echo, in the same workerd: what no
 * Worker + Durable Object design can beat here.
 */
import { createHmac, randomBytes } from "node:crypto";
import { join } from "node:path";
import { root, startDirectory, nodeAddr } from "./lib/directory.mjs";
import { b64, etcdVersion, findEtcd, prefixEnd, startEtcd } from "./lib/etcd.mjs";
import { load } from "./lib/loadgen.mjs";
import { describeRow, measureLoad } from "./lib/measure.mjs";
import { openSocket } from "./lib/streamload.mjs";
import { etcdSocketOps, measureStreams, peerdirSocketOps } from "./native.mjs";

const PEERS = 100;
const CLUSTER = "bench";

function peerRecord(i) {
  return { id: `peer-${String(i).padStart(3, "0")}`, addrs: [nodeAddr(i + 1)], labels: { zone: "zone-a" } };
}

export async function setUpPeerdir(dir) {
  const { joinToken } = await dir.admin.createCluster(CLUSTER, { minIntervalSeconds: 0 });
  const nodes = [];
  // Requesters and peers are the same 101 nodes: every node's handout is the other 100.
  for (let i = 0; i <= PEERS; i++) {
    const rec = i === PEERS ? { id: "node-req", addrs: [nodeAddr(0)], labels: { zone: "zone-a" } } : peerRecord(i);
    const body = JSON.stringify({ addrs: rec.addrs, labels: rec.labels, ttlSeconds: 3600 });
    const res = await fetch(`${dir.url}/v1/clusters/${CLUSTER}/nodes/${rec.id}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${joinToken}`, "Content-Type": "application/json" },
      body,
    });
    if (res.status !== 201) throw new Error(`register ${rec.id}: HTTP ${res.status} ${await res.text()}`);
    const { credential, version } = await res.json();
    nodes.push({ id: rec.id, body, auth: `Bearer ${credential}`, version });
  }
  const last = nodes[nodes.length - 1];
  const check = await fetch(`${dir.url}/v1/clusters/${CLUSTER}/nodes/${last.id}/peers`, { headers: { Authorization: last.auth } });
  const handout = await check.json();
  if (handout.peers.length !== PEERS) throw new Error(`handout has ${handout.peers.length} peers, expected ${PEERS}`);
  const etag = check.headers.get("ETag");
  const pick = (conn, i, connections) => nodes[(conn + i * connections) % nodes.length];
  const forged = forgedTokens(nodes.map((n) => n.auth.slice("Bearer ".length)));
  return {
    nodes,
    handoutBytes: JSON.stringify(handout.peers).length,
    ops: (connections) => ({
      renew: (c, i) => {
        const n = pick(c, i, connections);
        return { method: "PUT", path: `/v1/clusters/${CLUSTER}/nodes/${n.id}`, headers: { Authorization: n.auth, "Content-Type": "application/json" }, body: n.body, expect: 200 };
      },
      refuseForged: (c, i) => {
        const f = forged[(c + i * connections) % forged.length];
        // Each request from its own address, so the per-address failure limit never answers
        // first: every request pays the whole check (parse, cluster, HMAC, limiter).
        const ip = `10.${c & 255}.${(i >> 8) & 255}.${i & 255}`;
        return { method: "GET", path: `/v1/clusters/${f.cluster}/nodes/n1/peers`, headers: { Authorization: `Bearer ${f.token}`, "CF-Connecting-IP": ip }, expect: 401 };
      },
      unchanged: (c, i) => {
        const n = pick(c, i, connections);
        return { method: "GET", path: `/v1/clusters/${CLUSTER}/nodes/${n.id}/peers`, headers: { Authorization: n.auth, "If-None-Match": etag }, expect: 304 };
      },
      handout100: (c, i) => {
        const n = pick(c, i, connections);
        return { method: "GET", path: `/v1/clusters/${CLUSTER}/nodes/${n.id}/peers`, headers: { Authorization: n.auth }, expect: 200 };
      },
    }),
  };
}

/**
 * 1,000 tokens a stranger could send: half minted for made-up clusters under a key that is not
 * the directory's (they pass the cluster check and fail the MAC), half the bench cluster's real
 * credentials presented to made-up clusters (they fail the cluster check).
 */
function forgedTokens(realCredentials) {
  const key = randomBytes(32);
  const b64url = (buf) => buf.toString("base64url");
  return Array.from({ length: 1000 }, (_, i) => {
    const cluster = `forged-${i}`;
    if (i % 2) return { cluster, token: realCredentials[i % realCredentials.length] };
    const payload = `pdn_${cluster}.n1.${b64url(randomBytes(32))}`;
    return { cluster, token: `${payload}.${b64url(createHmac("sha256", key).update(payload).digest())}` };
  });
}

async function setUpEtcd(etcd) {
  const prefix = `/peerdir/${CLUSTER}/peers/`;
  const leases = [];
  for (let i = 0; i < PEERS; i++) {
    const { ID } = await etcd.call("/v3/lease/grant", { TTL: 3600 });
    leases.push(ID);
    const rec = peerRecord(i);
    await etcd.call("/v3/kv/put", { key: b64(prefix + rec.id), value: b64(JSON.stringify(rec)), lease: ID });
  }
  await etcd.call("/v3/kv/put", { key: b64(`/peerdir/${CLUSTER}/version`), value: b64("101") });
  const check = await etcd.call("/v3/kv/range", { key: b64(prefix), range_end: prefixEnd(prefix) });
  if (Number(check.count) !== PEERS) throw new Error(`etcd prefix holds ${check.count} keys`);
  const json = { "Content-Type": "application/json" };
  const keepalive = leases.map((id) => JSON.stringify({ ID: id }));
  const one = JSON.stringify({ key: b64(`/peerdir/${CLUSTER}/version`) });
  const range = JSON.stringify({ key: b64(prefix), range_end: prefixEnd(prefix) });
  return {
    ops: (connections) => ({
      renew: (c, i) => ({ method: "POST", path: "/v3/lease/keepalive", headers: json, body: keepalive[(c + i * connections) % PEERS], expect: 200 }),
      unchanged: () => ({ method: "POST", path: "/v3/kv/range", headers: json, body: one, expect: 200 }),
      handout100: () => ({ method: "POST", path: "/v3/kv/range", headers: json, body: range, expect: 200 }),
    }),
  };
}

/**
 * `only`: run just these HTTP operations (and the floor's HTTP rows), no socket operations.
 * `start`: the directory to measure (default the bench's workerd standing in for Cloudflare;
 * bench/self-hosted.mjs passes the release tarball's). `etcd`, `floor`: false leaves them out.
 */
export async function runThroughput({ quick, only, log = console.error, start = startDirectory, etcd: withEtcd = true, floor: withFloor = true, seconds: fixedSeconds }) {
  const seconds = fixedSeconds ?? (quick ? 1.5 : 5);
  const concurrencies = quick ? [20] : [20, 64];
  const ops = ["renew", "unchanged", "handout100", "refuseForged"].filter((op) => !only || only.includes(op));
  const etcdWanted = withEtcd && ops.some((op) => op !== "refuseForged");
  const etcdBin = etcdWanted ? findEtcd() : null;
  const dir = await start();
  const peerdir = await setUpPeerdir(dir);
  let etcd = null;
  let etcdSide = null;
  let skipped = null;
  if (etcdBin) {
    etcd = await startEtcd(etcdBin);
    etcdSide = await setUpEtcd(etcd);
  } else if (etcdWanted) {
    skipped = "etcd is not installed (apt-get install etcd-server, or set ETCD_BIN): the etcd side was skipped";
    log(`throughput: ${skipped}`);
  }
  const rows = [];
  try {
    for (const connections of concurrencies) {
      for (const op of ops) {
        const sides = [["peerdir", dir.url, dir.pid, peerdir.ops(connections)[op]]];
        if (etcdSide?.ops(connections)[op]) sides.push(["etcd", etcd.url, etcd.pid, etcdSide.ops(connections)[op]]);
        for (const [system, url, pid, request] of sides) {
          const { result: r, fields } = await measureLoad(pid, () => load({ url, connections, seconds, request }));
          if (r.errors) log(`throughput: ${system} ${op}: ${r.errors} errors, first: ${r.unexpected}`);
          const row = { system, op, connections, ...fields };
          log(`throughput: ${system.padEnd(7)} ${op.padEnd(10)} c=${connections}: ${describeRow(row)}`);
          rows.push(row);
        }
      }
      if (only) continue;
      // The socket operations: one stream per node, the first `connections` nodes on peerdir's side.
      const pSock = await peerdirSocketOps({ url: dir.url, cluster: CLUSTER, nodes: peerdir.nodes.slice(0, connections) });
      const eSock = etcdSide ? await etcdSocketOps({ url: etcd.url, count: connections }) : null;
      try {
        for (const op of ["heartbeat", "renewSocket"]) {
          rows.push(await measureStreams({ system: "peerdir", op, pid: dir.pid, streams: pSock[op], seconds, connections, log }));
          if (eSock) rows.push(await measureStreams({ system: "etcd", op, pid: etcd.pid, streams: eSock[op], seconds, connections, log }));
        }
      } finally {
        pSock.close();
        eSock?.close();
      }
    }
  } finally {
    await dir.stop();
    if (etcd) await etcd.stop();
  }
  const floor = withFloor ? await measureFloor({ concurrencies, seconds, log, sockets: !only }) : [];
  return { rows, floor, seconds, concurrencies, etcdVersion: etcdBin ? etcdVersion(etcdBin) : null, skipped, handoutBytes: peerdir.handoutBytes };
}

/**
 * The runtime floor: `emptyWorker` answers at once; `emptyWorkerToObject` makes one Durable
 * Object call first; `emptySocketEcho` is a message on a hibernatable socket that the object
 * sends back (one stream per connection, as the socket operations).
 */
async function measureFloor({ concurrencies, seconds, log, sockets: withSockets = true }) {
  const floor = await startDirectory({ bundle: join(root, "bench/lib/floor-worker.js") });
  const rows = [];
  try {
    for (const connections of concurrencies) {
      for (const [op, path] of [
        ["emptyWorker", "/worker"],
        ["emptyWorkerToObject", "/rpc"],
      ]) {
        const { fields } = await measureLoad(floor.pid, () => load({ url: floor.url, connections, seconds, request: () => ({ method: "GET", path, expect: 200 }) }));
        const row = { op, connections, ...fields };
        log(`throughput: floor   ${op.padEnd(19)} c=${connections}: ${describeRow(row)}`);
        rows.push(row);
      }
      if (!withSockets) continue;
      const sockets = [];
      for (let i = 0; i < connections; i++) sockets.push(await openSocket(`${floor.url.replace(/^http/, "ws")}/ws`, []));
      try {
        const streams = sockets.map((s) => async () => (await s.request("echo")) === "echo");
        const { system: _s, ...row } = await measureStreams({ system: "floor", op: "emptySocketEcho", pid: floor.pid, streams, seconds, connections, log });
        rows.push(row);
      } finally {
        for (const s of sockets) s.close();
      }
    }
  } finally {
    await floor.stop();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // `--only refuseForged,renew`: just those HTTP operations, beside the HTTP floor.
  const onlyArg = process.argv.indexOf("--only");
  const only = onlyArg > 0 ? process.argv[onlyArg + 1].split(",") : undefined;
  console.log(JSON.stringify(await runThroughput({ quick: process.argv.includes("--quick"), only }), null, 2));
}
