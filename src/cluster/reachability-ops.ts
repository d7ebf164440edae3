/**
 * Reachability as the cluster applies it: a node's probe reports become evidence about peers in
 * its own handout (reachability.ts keeps it), and every peer whose state changed moves in the
 * handout order, as one change. The admin views read the evidence here too.
 */
import type { NodeView } from "../contract/admin.js";
import type { ReachState } from "../contract/reachability.js";
import type { Reports } from "../contract/schemas.js";
import { selectPeers } from "./selection.js";
import type { ReachReport } from "./reachability.js";
import { saveEvidence } from "./reach-facts.js";
import type { ClusterUnits } from "./units.js";

/**
 * Takes a node's reports. Reports about anyone outside its handout, or itself, are dropped;
 * evidence older than the window from reporters that left is dropped on a report at most every
 * sixth of the window (a live reporter's latest result stands: it reports changes only). A
 * change of who reported what is stored (reach-facts.ts); a repeated result writes nothing.
 */
export function ingestReports(u: ClusterUnits, reporter: string, reports: Reports, now: number): void {
  const items: ReachReport[] = [];
  for (const target in reports) {
    const report = reports[target];
    items.push({ target, result: report.result, at: now - report.ageSeconds * 1000 });
  }
  if (items.length === 0) return;
  const clusterSize = u.leases.liveCount;
  const isLive = (id: string) => u.leases.get(id)?.endedAt === null;
  const changed = u.reach.ingest(reporter, items, now, handoutMembership(u, reporter), clusterSize, isLive);
  changed.push(...u.reach.sweepIfDue(now, clusterSize, isLive));
  saveEvidence(u.leases.facts, u.reach);
  const moved = changed.map((id) => u.leases.get(id)).filter((state) => state !== undefined && state.endedAt === null && state.reach !== u.reach.state(state.id));
  if (moved.length === 0) return;
  u.changes.record(now, (change) => {
    for (const state of moved) u.leases.setMarks(change, state!, { reach: u.reach.state(state!.id) });
  });
}

/** Whether a target is in `reporter`'s handout (with the cluster's default limit, which agents use). */
function handoutMembership(u: ClusterUnits, reporter: string): (target: string) => boolean {
  const limit = u.meta!.settings.defaultLimit;
  const zone = u.leases.get(reporter)?.zone ?? null;
  if (limit === null) {
    return (target) => {
      if (target === reporter) return false;
      const override = u.overrides.get(target);
      return override ? override.entry !== undefined : u.leases.get(target)?.endedAt === null;
    };
  }
  const ids = new Set(selectPeers(u.handouts.pool(), reporter, zone, limit).map((e) => e.id));
  return (target) => ids.has(target);
}

/** Forgets what was known of a node's reachability (it left, or its addresses changed), in memory and in storage. */
export function clearReachability(u: ClusterUnits, id: string): void {
  u.reach.clear(id);
  saveEvidence(u.leases.facts, u.reach);
}

export function reachabilityView(u: ClusterUnits, id: string): NodeView["reachability"] {
  const view = u.reach.view(id);
  return {
    state: view.state,
    failedReporters: view.failedReporters,
    okReporters: view.okReporters,
    checkedAt: view.checkedAt === null ? null : new Date(view.checkedAt).toISOString(),
  };
}

/** Live nodes by the state handouts show, and how many say they are not ready. */
export function reachabilityCounts(u: ClusterUnits): Record<ReachState | "notReady", number> {
  const counts = { reachable: 0, unknown: 0, unreachable: 0, notReady: 0 };
  for (const state of u.leases.live()) {
    counts[state.reach]++;
    if (!state.ready) counts.notReady++;
  }
  return counts;
}
