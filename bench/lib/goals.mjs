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
  return goals;
}
