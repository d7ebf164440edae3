/**
 * What the load generators and the benchmarks that drive them share: the measuring window (a
 * warm-up, then `seconds` of recorded operations), the result made of the recorded latencies,
 * and a result row with the server process's CPU per operation, as every table reports it.
 */
import { cpuSeconds, percentile, round, sleep } from "./proc.mjs";

/**
 * Lets the running load warm up for `warmupSeconds`, then records for `seconds` (`record(true)`
 * then `record(false)`), then `stop()`s it. Gives the seconds recorded.
 */
export async function measuringWindow({ warmupSeconds, seconds, record, stop }) {
  await sleep(warmupSeconds * 1000);
  record(true);
  const t0 = process.hrtime.bigint();
  await sleep(seconds * 1000);
  record(false);
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  stop();
  return elapsed;
}

/** A load run's result from the latencies it recorded (sorted here) over `elapsed` seconds. */
export function loadResult(latencies, elapsed, errors, unexpected) {
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length, opsPerSec: latencies.length / elapsed, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors, unexpected };
}

/**
 * Runs one load (`run` resolves to a `loadResult`) while the server process `pid` is watched:
 * the result, and the row fields every table has, server CPU per operation included.
 */
export async function measureLoad(pid, run) {
  const cpu0 = cpuSeconds(pid);
  const result = await run();
  const cpu = cpuSeconds(pid) - cpu0;
  const fields = {
    opsPerSec: round(result.opsPerSec, 0),
    p50Ms: round(result.p50Ms, 2),
    p99Ms: round(result.p99Ms, 2),
    errors: result.errors,
    serverCpuUsPerOp: round((cpu * 1e6) / Math.max(1, result.ops), 1),
  };
  return { result, fields };
}

/** A row's measurements as the log shows them. */
export const describeRow = (row) => `${row.opsPerSec} ops/s p50 ${row.p50Ms} ms p99 ${row.p99Ms} ms (server CPU ${row.serverCpuUsPerOp} µs/op)`;
