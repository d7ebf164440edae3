/**
 * What one change costs at scale (`npm run bench:scale`): one cluster of N nodes, each holding
 * its own watch socket, and one change at a time: a join, an address update, a readiness flip,
 * a reachability flip (reports from two holders of the peer), a leave. Per change: workerd's CPU
 * (the Worker and the object, over the change's whole fan-out, idle CPU subtracted), messages
 * and bytes the watchers received, and the time from sending the change to each watcher that
 * it reached. Full lists and limit 64, side by side; beside them, the runtime's broadcast floor
 * (an empty object sending one string to the same N sockets) and etcd's Watch on a prefix with
 * one gRPC connection per watcher. Then a churn mix at one size (1 % of the nodes change per
 * minute), and the index's memory per node (built in a separate Node process).
 *
 * Each section is one exported function, so another section (the reconnect storm) is one more
 * entry in SECTIONS. Every address is in 127.0.0.0/8; nothing dials them.
 */
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { root, startDirectory } from "./lib/directory.mjs";
import { etcdConnection } from "./lib/etcd-grpc.mjs";
import { findEtcd, startEtcd } from "./lib/etcd.mjs";
import { cpuSecondsFine, percentile, round, sleep } from "./lib/proc.mjs";

const CLUSTER = "scale";
const BOUNDED = 64;
const KINDS = ["join", "address", "readiness", "reachability", "leave"];

/** A loopback address per node number (the bench never dials them). */
const loop = (i) => `/ip4/127.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff || 1}/tcp/4001`;

/** Rendezvous weights, as the directory computes them (the same module, bundled for Node). */
async function rendezvous() {
  const esbuild = await import("esbuild");
  const out = await esbuild.build({ entryPoints: [join(root, "src/cluster/rendezvous.ts")], bundle: true, format: "esm", write: false, platform: "neutral" });
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);
}

/** `count` nodes among `nodes` whose top-`limit` handout holds `target` (weights as the directory's). */
function holdersOf(target, nodes, limit, pairWeight, count) {
  const found = [];
  for (const w of nodes) {
    if (w === target) continue;
    const t = pairWeight(w, target);
    let above = 0;
    for (const p of nodes) {
      if (p === w || p === target) continue;
      if (pairWeight(w, p) > t && ++above >= limit) break;
    }
    if (above < limit) found.push(w);
    if (found.length === count) break;
  }
  return found;
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { p50Ms: round(percentile(s, 50), 1), p99Ms: round(percentile(s, 99), 1) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

/** Starts N nodes, each with its own watch socket opened at the current version (no snapshot sent). */
async function watchedCluster(options) {
  const cluster = await registeredCluster(options);
  await cluster.openSockets();
  return cluster;
}

/** Starts N registered nodes; `openSockets()` then gives each its own watch socket. */
async function registeredCluster({ n, limit, log, extra = 2000 }) {
  const dir = await startDirectory();
  const { joinToken } = await dir.admin.createCluster(CLUSTER, { minIntervalSeconds: 0, maxNodes: n + extra, defaultLimit: limit });
  const base = `${dir.url}/v1/clusters/${CLUSTER}/nodes`;
  const nodes = [];
  let next = 0;
  let version = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 24 }, async () => {
      while (next < n) {
        const i = next++;
        const id = `n${String(i).padStart(5, "0")}`;
        const res = await fetch(`${base}/${id}`, {
          method: "PUT",
          headers: { Authorization: `Bearer ${joinToken}`, "Content-Type": "application/json" },
          body: JSON.stringify({ addrs: [loop(i + 1)], ttlSeconds: 3600 }),
        });
        if (res.status !== 201) throw new Error(`register ${id}: HTTP ${res.status} ${await res.text()}`);
        const body = await res.json();
        version = Math.max(version, body.version);
        nodes[i] = { id, i, credential: body.credential };
      }
    }),
  );
  log(`changes: ${n} nodes registered in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const sink = { onMessage: () => {} };
  const wsBase = base.replace(/^http/, "ws");
  const openSockets = async () => {
    const t1 = performance.now();
    for (let b = 0; b < n; b += 200) {
      await Promise.all(
        nodes.slice(b, b + 200).map(
          (node) =>
            new Promise((resolve, reject) => {
              const ws = new WebSocket(`${wsBase}/${node.id}/watch?since=${version}`, ["peerdir", `bearer.${node.credential}`]);
              ws.onopen = () => resolve();
              ws.onerror = (e) => reject(new Error(`watch ${node.id}: ${e.message ?? "error"}`));
              ws.onmessage = (ev) => sink.onMessage(node, ev.data, performance.now());
              node.ws = ws;
            }),
        ),
      );
    }
    log(`changes: ${n} watch sockets open in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  };
  return { dir, nodes, joinToken, base, sink, openSockets };
}

/**
 * Runs `change()` and waits until the watchers are quiet; gives workerd's CPU for it (idle CPU
 * subtracted), the messages and bytes received, and each arrival that names `id`.
 */
async function timedChange({ pid, sink, id, change, idleCpuPerSec, quietMs, expected = 0 }) {
  const arrivals = [];
  let messages = 0;
  let bytes = 0;
  let last = 0;
  sink.onMessage = (_node, data, at) => {
    messages++;
    bytes += data.length;
    last = at;
    if (data.includes(`"${id}"`)) arrivals.push(at);
  };
  const cpu0 = cpuSecondsFine(pid);
  const t0 = performance.now();
  await change();
  const answered = performance.now();
  // Done when every expected watcher has it, or (when the count is not known) once messages
  // stopped for quietMs after the first arrived; a change that reaches nobody waits 2 s.
  const deadline = t0 + 20_000;
  for (;;) {
    const now = performance.now();
    if (now > deadline) break;
    if (expected > 0 ? arrivals.length >= expected && now - last >= 50 : last > 0 ? now - last >= quietMs : now - answered >= 2000) break;
    await sleep(20);
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpuMs = Math.max(0, (cpuSecondsFine(pid) - cpu0 - idleCpuPerSec * elapsed) * 1000);
  sink.onMessage = () => {};
  return { cpuMs, messages, bytes, latencies: arrivals.map((t) => t - t0) };
}

/** Waits until workerd is quiet (under 5 % of a core over half a second), at most two minutes. */
async function settle(pid) {
  const deadline = performance.now() + 120_000;
  for (;;) {
    const c0 = cpuSecondsFine(pid);
    await sleep(500);
    if ((cpuSecondsFine(pid) - c0) / 0.5 < 0.05 || performance.now() > deadline) return;
  }
}

async function idleRate(pid, seconds = 2) {
  const c0 = cpuSecondsFine(pid);
  await sleep(seconds * 1000);
  return (cpuSecondsFine(pid) - c0) / seconds;
}

/** One mode (full lists: limit null; bounded: limit 64) at one size: a row per kind of change. */
export async function runChangeCost({ n, limit, changes = 8, log = console.error }) {
  const { pairWeight } = await rendezvous();
  const { dir, nodes, joinToken, base, sink, openSockets } = await registeredCluster({ n, limit, log });
  const quietMs = 400;
  const put = (id, auth, body) =>
    fetch(`${base}/${id}`, { method: "PUT", headers: { Authorization: `Bearer ${auth}`, "Content-Type": "application/json" }, body: JSON.stringify(body) }).then(async (r) => {
      if (r.status >= 300) throw new Error(`PUT ${id}: HTTP ${r.status} ${await r.text()}`);
      return r.json();
    });
  const empty = () => Object.fromEntries(KINDS.map((k) => [k, { cpuMs: [], messages: [], bytes: [], latencies: [], toAll: [] }]));
  const per = empty();
  const alone = empty();
  const ids = nodes.map((x) => x.id);
  /** One round of every kind of change, on a new peer `id`, recorded into `into`. */
  const round5 = async (id, c, into, idleCpuPerSec) => {
    const addrs = [loop(n + 10 + c)];
    let credential = null;
    const record = (kind, r) => {
      const p = into[kind];
      p.cpuMs.push(r.cpuMs);
      p.messages.push(r.messages);
      p.bytes.push(r.bytes);
      p.latencies.push(...r.latencies);
      if (r.latencies.length) p.toAll.push(Math.max(...r.latencies));
    };
    // Full lists: every watcher hears of every change of another peer.
    const timed = (change) => timedChange({ pid: dir.pid, sink, id, change, idleCpuPerSec, quietMs, expected: limit === null && into === per ? n : 0 });
    record(
      "join",
      await timed(async () => {
        credential = (await put(id, joinToken, { addrs, ttlSeconds: 3600 })).credential;
      }),
    );
    const moved = [loop(n + 500 + c)];
    record("address", await timed(() => put(id, credential, { addrs: moved, ttlSeconds: 3600 })));
    record("readiness", await timed(() => put(id, credential, { addrs: moved, ttlSeconds: 3600, ready: false })));
    // Reachability: two holders of the peer report it failed (unreachable), then one reports it ok.
    const holders = limit === null ? [ids[c % n], ids[(c + 1) % n]] : holdersOf(id, [...ids, id], limit, pairWeight, 2);
    const report = (w, result) => {
      const node = nodes.find((x) => x.id === w);
      return put(w, node.credential, { addrs: [loop(node.i + 1)], ttlSeconds: 3600, reports: { [id]: { result, ageSeconds: 0 } } });
    };
    record(
      "reachability",
      await timed(async () => {
        await report(holders[0], "failed");
        await report(holders[1], "failed");
      }),
    );
    record("reachability", await timed(() => report(holders[0], "ok")));
    record("leave", await timed(() => fetch(`${base}/${id}`, { method: "DELETE", headers: { Authorization: `Bearer ${credential}` } })));
  };
  try {
    // The same changes with no socket open: what a change costs before any fan-out.
    await settle(dir.pid);
    const idleAlone = await idleRate(dir.pid, 1);
    for (let c = 0; c < Math.max(2, Math.ceil(changes / 2)); c++) await round5(`b${String(c).padStart(3, "0")}`, 1000 + c, alone, idleAlone);
    await openSockets();
    // Warm-up: the first change after the sockets opened builds the index (and warms the JIT).
    const warm = await put("warm", joinToken, { addrs: [loop(n + 1)], ttlSeconds: 3600 });
    await sleep(1500);
    await fetch(`${base}/warm`, { method: "DELETE", headers: { Authorization: `Bearer ${warm.credential}` } });
    await settle(dir.pid);
    const idleCpuPerSec = await idleRate(dir.pid);
    for (let c = 0; c < changes; c++) await round5(`j${String(c).padStart(3, "0")}`, c, per, idleCpuPerSec);
  } finally {
    for (const node of nodes) node.ws?.close();
    await dir.stop();
  }
  return KINDS.map((kind) => {
    const p = per[kind];
    const each = stats(p.latencies);
    const all = stats(p.toAll);
    return {
      n,
      limit,
      kind,
      cpuMsPerChange: round(median(p.cpuMs), 2),
      cpuMsWithoutWatchers: round(median(alone[kind].cpuMs), 2),
      messagesPerChange: round(median(p.messages), 0),
      bytesPerChange: round(median(p.bytes), 0),
      eachP50Ms: each.p50Ms,
      eachP99Ms: each.p99Ms,
      allP50Ms: all.p50Ms,
      allP99Ms: all.p99Ms,
      changes: p.cpuMs.length,
    };
  });
}

/** The runtime's broadcast floor: an empty object sending one string (a join's size) to N sockets. */
export async function runFloor({ n, changes = 8, log = console.error }) {
  const floor = await startDirectory({ bundle: join(root, "bench/lib/floor-worker.js") });
  const sockets = [];
  const sink = { onMessage: () => {} };
  try {
    for (let b = 0; b < n; b += 200) {
      const batch = [];
      for (let i = b; i < Math.min(n, b + 200); i++) {
        batch.push(
          new Promise((resolve, reject) => {
            const ws = new WebSocket(`${floor.url.replace(/^http/, "ws")}/ws`);
            ws.onopen = () => resolve(ws);
            ws.onerror = (e) => reject(new Error(e.message ?? "floor socket"));
            ws.onmessage = (ev) => sink.onMessage(null, ev.data, performance.now());
          }),
        );
      }
      sockets.push(...(await Promise.all(batch)));
    }
    const text = JSON.stringify({ type: "delta", version: 123456, upserts: [{ id: "j000", addrs: [loop(n + 10)], labels: {} }], removes: [] });
    await fetch(`${floor.url}/broadcast`, { method: "POST", body: "warm" });
    await sleep(1000);
    const idleCpuPerSec = await idleRate(floor.pid);
    const cpu = [];
    const toAll = [];
    for (let c = 0; c < changes; c++) {
      const r = await timedChange({
        pid: floor.pid,
        sink,
        id: "j000",
        change: () => fetch(`${floor.url}/broadcast`, { method: "POST", body: text }),
        idleCpuPerSec,
        quietMs: n >= 5000 ? 400 : 250,
      });
      cpu.push(r.cpuMs);
      if (r.latencies.length === n) toAll.push(Math.max(...r.latencies));
    }
    const all = stats(toAll);
    log(`changes: broadcast floor at ${n}: ${round(median(cpu), 2)} ms CPU, to all p99 ${all.p99Ms} ms`);
    return { n, cpuMsPerChange: round(median(cpu), 2), allP50Ms: all.p50Ms, allP99Ms: all.p99Ms, bytes: text.length };
  } finally {
    for (const ws of sockets) ws.close();
    await floor.stop();
  }
}

/** etcd's Watch on the prefix, one gRPC connection per watcher: a Put reaches every watcher. */
export async function runEtcdWatch({ n, changes = 8, log = console.error }) {
  const bin = findEtcd();
  if (!bin) return null;
  const prefix = "/peerdir/scale/peers/";
  const etcd = await startEtcd(bin);
  const conns = [];
  const sink = { onMessage: () => {} };
  try {
    for (let w = 0; w < n; w++) {
      const conn = etcdConnection(etcd.url);
      conns.push(conn);
      await conn.watchPrefix(prefix, (events) => {
        const at = performance.now();
        for (const ev of events) sink.onMessage(null, `"${Buffer.from(ev.kv.key).toString().slice(prefix.length)}"${ev.kv.value?.length ?? 0}`, at);
      });
    }
    const writer = etcdConnection(etcd.url);
    conns.push(writer);
    const leases = [];
    for (let c = 0; c < changes; c++) leases.push((await writer.leaseGrant({ TTL: 3600 })).ID);
    await sleep(1000);
    const idleCpuPerSec = await idleRate(etcd.pid);
    const cpu = [];
    const toAll = [];
    const each = [];
    for (let c = 0; c < changes; c++) {
      const id = `j${String(c).padStart(3, "0")}`;
      const value = Buffer.from(JSON.stringify({ id, addrs: [loop(n + 10 + c)], labels: {} }));
      const r = await timedChange({
        pid: etcd.pid,
        sink,
        id,
        change: () => writer.put({ key: Buffer.from(prefix + id), value, lease: leases[c] }),
        idleCpuPerSec,
        quietMs: n >= 5000 ? 400 : 250,
      });
      cpu.push(r.cpuMs);
      each.push(...r.latencies);
      if (r.latencies.length === n) toAll.push(Math.max(...r.latencies));
    }
    const all = stats(toAll);
    const e = stats(each);
    log(`changes: etcd Watch at ${n} (one connection each): ${round(median(cpu), 2)} ms CPU per Put, to all p99 ${all.p99Ms} ms`);
    return {
      n,
      connections: n,
      cpuMsPerChange: round(median(cpu), 2),
      eachP50Ms: e.p50Ms,
      eachP99Ms: e.p99Ms,
      allP50Ms: all.p50Ms,
      allP99Ms: all.p99Ms,
      seenByAll: toAll.length,
      changes,
    };
  } finally {
    for (const c of conns) c.close();
    await etcd.stop();
  }
}

/** A churn mix at N nodes (limit 64): 1 % of the nodes change per minute (joins, leaves, flips, moves). */
export async function runChurn({ n, minutes = 2, limit = BOUNDED, log = console.error }) {
  const { dir, nodes, joinToken, base } = await watchedCluster({ n, limit, log });
  const put = (id, auth, body) =>
    fetch(`${base}/${id}`, { method: "PUT", headers: { Authorization: `Bearer ${auth}`, "Content-Type": "application/json" }, body: JSON.stringify(body) });
  try {
    const warm = await (await put("warm", joinToken, { addrs: [loop(n + 1)], ttlSeconds: 3600 })).json();
    await sleep(2000);
    await fetch(`${base}/warm`, { method: "DELETE", headers: { Authorization: `Bearer ${warm.credential}` } });
    await settle(dir.pid);
    const perMinute = Math.max(1, Math.round(n / 100));
    const total = Math.round(perMinute * minutes);
    const gapMs = 60_000 / perMinute;
    const cpu0 = cpuSecondsFine(dir.pid);
    const t0 = performance.now();
    const joined = [];
    const counts = { join: 0, leave: 0, readiness: 0, address: 0 };
    for (let c = 0; c < total; c++) {
      const due = t0 + c * gapMs;
      await sleep(Math.max(0, due - performance.now()));
      const pick = c % 4;
      if (pick === 0 || joined.length === 0) {
        const id = `c${c}`;
        const body = await (await put(id, joinToken, { addrs: [loop(n + 100 + c)], ttlSeconds: 3600 })).json();
        joined.push({ id, credential: body.credential, i: n + 100 + c });
        counts.join++;
      } else if (pick === 1) {
        const j = joined.shift();
        await fetch(`${base}/${j.id}`, { method: "DELETE", headers: { Authorization: `Bearer ${j.credential}` } });
        counts.leave++;
      } else {
        const node = nodes[(c * 7919) % n];
        const ready = pick === 2 ? c % 8 >= 4 : undefined;
        await put(node.id, node.credential, { addrs: [loop(pick === 3 ? n + 5000 + c : node.i + 1)], ttlSeconds: 3600, ...(ready === undefined ? {} : { ready }) });
        if (pick === 2) counts.readiness++;
        else counts.address++;
      }
    }
    await sleep(Math.max(0, t0 + total * gapMs - performance.now()));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSecondsFine(dir.pid) - cpu0;
    const percentOfCore = round((cpu / seconds) * 100, 2);
    log(`changes: churn at ${n} nodes, ${perMinute} changes/min for ${round(seconds, 0)} s: workerd ${percentOfCore} % of a core`);
    return { n, limit, changesPerMinute: perMinute, seconds: round(seconds, 0), changes: total, counts, percentOfCore };
  } finally {
    for (const node of nodes) node.ws?.close();
    await dir.stop();
  }
}

/** The fan-out index's memory per node (heap growth in a separate Node process, after GC). */
export function runIndexBudget({ n, limit = BOUNDED }) {
  const script = `
    const esbuild = await import(${JSON.stringify(join(root, "node_modules/esbuild/lib/main.js"))});
    const out = await esbuild.build({ entryPoints: [${JSON.stringify(join(root, "src/cluster/fanout.ts"))}], bundle: true, format: "esm", write: false, platform: "neutral" });
    const { FanOut } = await import("data:text/javascript;base64," + Buffer.from(out.outputFiles[0].text).toString("base64"));
    const n = ${n};
    const pool = Array.from({ length: n }, (_, i) => ({ id: "n" + String(i).padStart(5, "0"), zone: null, json: "" }));
    const byId = new Map(pool.map((p) => [p.id, p]));
    const source = { entry: (id) => byId.get(id), candidates: () => pool, zoneOf: () => null };
    globalThis.gc(); globalThis.gc();
    const before = process.memoryUsage().heapUsed;
    const fanOut = new FanOut();
    for (const p of pool) fanOut.add(p.id, undefined, ${limit}, 1);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    fanOut.passBounded(0, 1, new Map(), source);
    const buildMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const buildCpuMs = (cpu.user + cpu.system) / 1000;
    globalThis.gc(); globalThis.gc();
    const bytes = process.memoryUsage().heapUsed - before;
    console.log(JSON.stringify({ n, limit: ${limit}, bytesPerNode: Math.round(bytes / n), totalMiB: Math.round(bytes / 1048576), buildMs: Math.round(buildMs), buildCpuMs: Math.round(buildCpuMs), held: fanOut.watches.next().value.ranking.ids.length }));
  `;
  const text = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(text.trim().split("\n").pop());
}

/** The exponent b of cpu ≈ a · N^b, by least squares on the logarithms. */
export function fitExponent(points) {
  const xs = points.filter((p) => p.cpu > 0).map((p) => [Math.log(p.n), Math.log(p.cpu)]);
  if (xs.length < 2) return null;
  const mx = xs.reduce((s, [x]) => s + x, 0) / xs.length;
  const my = xs.reduce((s, [, y]) => s + y, 0) / xs.length;
  const num = xs.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = xs.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return round(num / den, 2);
}

/** A run that failed (a machine limit, say) is logged and recorded as such, not the end of the benchmark. */
async function attempt(run, failed, log) {
  try {
    return await run();
  } catch (err) {
    log(`changes: failed: ${err?.stack ?? err}`);
    return Array.isArray(failed) ? failed : failed === null ? null : { ...failed, error: String(err?.message ?? err) };
  }
}

/**
 * Sections in the order they run. The reconnect storm (every socket of a large cluster closed at
 * once, then reconnecting) is a section of its own: it adds `reconnect` here.
 */
export const SECTIONS = {
  floor: async ({ sizes, changes, log }) => {
    const rows = [];
    for (const n of sizes) rows.push(await attempt(() => runFloor({ n, changes, log }), { n }, log));
    return rows;
  },
  perChange: async ({ sizes, changes, log, modes = [null, BOUNDED] }) => {
    const rows = [];
    for (const n of sizes) {
      for (const limit of modes) {
        const r = await attempt(() => runChangeCost({ n, limit, changes, log }), [], log);
        for (const row of r)
          log(
            `changes: N ${n} ${limit === null ? "full" : `limit ${limit}`} ${row.kind}: ${row.cpuMsPerChange} ms CPU, ${row.messagesPerChange} msgs, each p99 ${row.eachP99Ms} ms, all p99 ${row.allP99Ms} ms`,
          );
        rows.push(...r);
      }
    }
    return rows;
  },
  etcd: async ({ etcdSizes, changes, log }) => {
    const rows = [];
    for (const n of etcdSizes) {
      const r = await attempt(() => runEtcdWatch({ n, changes, log }), null, log);
      if (r) rows.push(r);
    }
    return rows;
  },
  churn: async ({ churnN, churnMinutes, log }) => (churnN ? runChurn({ n: churnN, minutes: churnMinutes, log }) : null),
  index: async ({ indexSizes }) => indexSizes.map((n) => runIndexBudget({ n })),
};

/** The fitted exponents of CPU per change with N, for each kind and mode, and the floor's. */
export function fits(result) {
  const out = {};
  if (result.perChange) {
    out.exponents = [];
    for (const limit of [null, BOUNDED]) {
      for (const kind of KINDS) {
        const points = result.perChange.filter((r) => r.limit === limit && r.kind === kind).map((r) => ({ n: r.n, cpu: r.cpuMsPerChange }));
        out.exponents.push({ limit, kind, exponent: fitExponent(points) });
      }
    }
  }
  if (result.floor) out.floorExponent = fitExponent(result.floor.map((r) => ({ n: r.n, cpu: r.cpuMsPerChange })));
  return out;
}

/** Every section (or `only` of them), with the fitted exponents; `sizes` etc. are configurable. */
export async function runChanges({ quick = false, log = console.error, only = null, ...options }) {
  const o = {
    // 9,000, not 10,000: workerd holds two file descriptors per WebSocket, and this machine's hard
    // limit of 20,000 per process refuses connections near 9,800 sockets.
    sizes: quick ? [250, 500, 1000] : [1000, 2000, 5000, 9000],
    etcdSizes: quick ? [250, 1000] : [1000, 2000, 5000, 9000],
    changes: quick ? 4 : 6,
    churnN: quick ? 1000 : 9000,
    churnMinutes: quick ? 1 : 2,
    indexSizes: quick ? [1000] : [10_000, 30_000],
    log,
    ...options,
  };
  const result = { sizes: o.sizes, changesPerKind: o.changes, loadAverageAtStart: loadavg().map((x) => round(x, 1)) };
  for (const [name, section] of Object.entries(SECTIONS)) {
    if (only && !only.includes(name)) continue;
    log(`changes: section ${name} …`);
    result[name] = await section(o);
  }
  Object.assign(result, fits(result));
  result.loadAverageAtEnd = loadavg().map((x) => round(x, 1));
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  const list = (s) => s?.split(",").map(Number);
  console.log(
    JSON.stringify(
      await runChanges({
        quick: process.argv.includes("--quick"),
        only: arg("only")?.split(","),
        ...(arg("sizes") ? { sizes: list(arg("sizes")) } : {}),
        ...(arg("etcd-sizes") ? { etcdSizes: list(arg("etcd-sizes")) } : {}),
        ...(arg("churn") ? { churnN: Number(arg("churn")) } : {}),
        ...(arg("index-sizes") ? { indexSizes: list(arg("index-sizes")) } : {}),
      }),
      null,
      2,
    ),
  );
}
