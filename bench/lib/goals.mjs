/**
 * The benchmark goals, judged from one results object (latest.json): each goal names what is
 * compared, the measured ratio, the bound, and whether it was met. Same run, side by side.
 */
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? Math.round((a / b) * 100) / 100 : null);

export function judgeGoals(r) {
  const row = (system, op) => r.throughput?.find((x) => x.system === system && x.op === op);
  const floor = (op) => r.floor?.find((x) => x.op === op);
  const goals = [];
  const add = (goal, measured, bound, better) => {
    const met = measured === null ? null : better === "higher" ? measured >= bound : measured <= bound;
    goals.push({ goal, measured, bound, met });
  };
  for (const [op, cpuBound] of [
    ["heartbeat", 0.5],
    ["renewSocket", 1.0],
  ]) {
    const p = row("peerdir", op);
    const e = row("etcd", op);
    add(`${op}: peerdir ops/s ≥ 1.0× etcd's`, ratio(p?.opsPerSec, e?.opsPerSec), 1.0, "higher");
    add(`${op}: peerdir server CPU per op ≤ ${cpuBound.toFixed(1)}× etcd's`, ratio(p?.serverCpuUsPerOp, e?.serverCpuUsPerOp), cpuBound, "lower");
  }
  for (const watchers of [...new Set((r.joinToWatchers ?? []).map((x) => x.watchers))]) {
    const p = r.joinToWatchers.find((x) => x.system === "peerdir" && x.watchers === watchers);
    const e = r.joinToWatchers.find((x) => x.system === "etcd" && x.watchers === watchers);
    add(`joinToWatchers (${watchers} watchers): peerdir p99 ≤ 1.0× etcd's`, ratio(p?.p99Ms, e?.p99Ms), 1.0, "lower");
  }
  for (const op of ["renew", "unchanged"]) {
    add(`HTTP ${op}: peerdir ops/s ≥ 0.8× the empty Worker → Durable Object floor`, ratio(row("peerdir", op)?.opsPerSec, floor("emptyWorkerToObject")?.opsPerSec), 0.8, "higher");
  }
  const countNs = r.agent?.consumerCountNs;
  add("agent: counting a local consumer's request ≤ 1 µs", Number.isFinite(countNs) ? Math.round(countNs) / 1000 : null, 1, "lower");
  goals.push(...changeGoals(r.changes));
  return goals;
}

/** The goals of what one change costs at scale (bench/changes.mjs): bounds on the measured values. */
export function changeGoals(c) {
  if (!c?.perChange) return [];
  const goals = [];
  const add = (goal, measured, bound, better = "lower") =>
    goals.push({ goal, measured, bound, met: measured === null || measured === undefined ? null : better === "higher" ? measured >= bound : measured <= bound });
  const row = (n, limit, kind) => c.perChange.find((x) => x.n === n && x.limit === limit && x.kind === kind);
  const top = Math.max(...c.perChange.map((x) => x.n));
  const bounded = row(top, 64, "join");
  add(`limit 64, ${top} watchers: workerd CPU per join ≤ 5 ms`, bounded?.cpuMsPerChange ?? null, 5);
  add(`limit 64, ${top} watchers: messages per join ≤ 2 × 64`, bounded?.messagesPerChange ?? null, 128);
  add(`limit 64, ${top} watchers: join → each affected watcher p99 ≤ 50 ms`, bounded?.eachP99Ms ?? null, 50);
  for (const f of c.floor ?? []) {
    const full = row(f.n, null, "join");
    if (full) add(`full lists, ${f.n} watchers: CPU per join ≤ 1.2× the broadcast floor`, ratio(full.cpuMsPerChange, f.cpuMsPerChange), 1.2);
  }
  const etcd = c.etcd?.find((x) => x.n === top);
  add(`full lists, ${top} watchers: join → all p99 below etcd Watch (one connection per watcher)`, ratio(row(top, null, "join")?.allP99Ms, etcd?.allP99Ms), 1.0);
  const exp = (limit) => c.exponents?.find((x) => x.limit === limit && x.kind === "join")?.exponent ?? null;
  add("full lists: growth exponent of CPU per join with N ≤ 1.05", exp(null), 1.05);
  add("limit 64: growth exponent of CPU per join with N ≤ 0.3", exp(64), 0.3);
  if (c.churn) add(`churn mix at ${c.churn.n} nodes (1 % a minute): workerd CPU ≤ 10 % of a core`, c.churn.percentOfCore, 10);
  return goals;
}
