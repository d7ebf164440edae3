/**
 * The cost section for readiness and reachability: what keeping them across hibernation and
 * restarts costs one cluster of 30,000 nodes a month, stored as they change (what peerdir does)
 * against restated by every agent on a timer, from the same prices as the rest of docs/COST.md
 * and the steady state the reconnect-storm benchmark measured (bench/results/reconnect-storm.json).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const NODES = 30_000;
const MONTH_S = 30 * 24 * 3600;
/** A restatement period short enough to matter: a minute (a node flips, and the view is wrong for up to this long after a wake). */
const RESTATE_S = 60;
/** Rows one flip of a peer's reachability writes at most: 3 failed + 2 ok reporters (src/cluster/reach-facts.ts). */
const ROWS_PER_REACH_FLIP = 5;

const n = (v, d = 0) => (Number.isFinite(v) ? Number(v).toLocaleString("en-US", { maximumFractionDigits: d }) : "n/a");
const usd = (v) => `$${n(v, 2)}`;

export function softStateSection(root, PRICES, LIMITS) {
  const stormPath = join(root, "bench/results/reconnect-storm.json");
  const storm = existsSync(stormPath) ? JSON.parse(readFileSync(stormPath, "utf8")) : null;
  const messages = (NODES * MONTH_S) / RESTATE_S;
  const messagesUsd = (messages / PRICES.wsIncomingPerBilledRequest.value / 1e6) * PRICES.doRequestPerMillion.value;
  const durationUsd = ((MONTH_S * PRICES.doMemoryGb.value) / 1e6) * PRICES.doDurationPerMillionGbS.value;
  const timerUsd = messagesUsd + durationUsd;
  const rowUsd = PRICES.rowWrittenPerMillion.value / 1e6;
  const breakEvenRowsPerMinute = timerUsd / rowUsd / (MONTH_S / 60);
  const measured = storm
    ? `The reconnect-storm benchmark measured it (${storm.at}, ${n(storm.nodes)} nodes, ${n(storm.steady.seconds)} s of quiet): **${n(storm.steady.nodeFactRowsPerNodePerHour, 4)}
readiness and reachability rows per node per hour**, and ${n(storm.steady.rowsPerNodePerHour, 4)} rows per node per hour in all (the cluster's expiry alarm);
a deploy's restart, every agent restating everything on its new socket, wrote ${n(storm.storms?.[0]?.rowsByTable?.node_facts ?? 0)} of them.`
    : "The reconnect-storm benchmark (`node bench/reconnect-storm.mjs`) measures it.";
  return `## Readiness and reachability across hibernation and restarts

What a node says of itself (not ready) and what two of its peers found (unreachable) must outlast the object's memory:
a quiet cluster hibernates after ${LIMITS.hibernateAfterIdleSeconds.value} s, and a deploy restarts it. Two ways, for one cluster of ${n(NODES)} nodes a month:

| | rows written | incoming messages | duration | $/month | right after a wake or restart |
|---|---:|---:|---:|---:|---|
| **stored as they change** (peerdir) | 0 in steady state; 1 per readiness flip, at most ${ROWS_PER_REACH_FLIP} per reachability flip; 0 for a restated result | 0 | 0 (hibernates) | **$0** + $${n(rowUsd * 1e6, 2)} per million changes' rows | yes: read back at load |
| restated by every agent every ${RESTATE_S} s | 0 | ${n(messages / 1e9, 2)} × 10^9 | all month (never idle ${LIMITS.hibernateAfterIdleSeconds.value} s) | ${usd(timerUsd)} (${usd(messagesUsd)} messages + ${usd(durationUsd)} duration) | after up to ${RESTATE_S} s |

Storing wins unless the cluster flips more than about ${n(breakEvenRowsPerMinute)} rows' worth a minute (about ${n(breakEvenRowsPerMinute / (2 * ROWS_PER_REACH_FLIP))}
peers going down and coming back each minute, every minute), and it is right at once after a wake or a restart, where a
timer leaves the view wrong for up to a period and keeps the object awake all month. ${measured}
`;
}
