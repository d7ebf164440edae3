/**
 * What each node's agent says of its local consumers (spegel, k3s): whether they ask it for peers
 * in a loop, at what rate, on which endpoint and since when. Agents report only changes (and once
 * per run); this decides which reports change what is kept, so storage is written only when the
 * looping state, or a loop's endpoint or peak rate, changes. A run's first "not looping" over a
 * stored "not looping" (or over nothing) writes nothing. The lease table keeps the result with
 * the node, in memory and in storage, so hibernation and restarts keep it.
 */
import type { ConsumerReport } from "../contract/schemas.js";
import type { ConsumerLoopRecord } from "./store.js";

export type { ConsumerLoopRecord } from "./store.js";

/** What to keep after `report`, or null when it changes nothing. */
export function consumerLoopUpdate(node: string, known: ConsumerLoopRecord | undefined, report: ConsumerReport, now: number): ConsumerLoopRecord | null {
  if (!report.looping && !known?.looping) return null;
  if (known?.looping && report.looping && known.endpoint === report.endpoint && known.requestsPerMinute === report.requestsPerMinute) return null;
  return {
    node,
    looping: report.looping,
    requestsPerMinute: report.requestsPerMinute,
    endpoint: report.endpoint ?? known?.endpoint ?? null,
    // A peak told again keeps when its loop began.
    since: known?.looping && report.looping ? known.since : now - report.sinceSeconds * 1000,
  };
}

/** How many of `nodes` have consumers that loop now. */
export function loopingCount(nodes: Iterable<{ consumers?: ConsumerLoopRecord }>): number {
  let n = 0;
  for (const node of nodes) if (node.consumers?.looping) n++;
  return n;
}
