/**
 * Expiry and self-preservation: ending what is due (leases, overrides, retired credentials), and
 * holding back when so much would end at once that the directory or the network, not the nodes,
 * must have been away.
 */
import { nodeSnapshot, overrideSnapshot } from "./audit.js";
import type { NodeState } from "./lease-table.js";
import { clearReachability } from "./reachability-ops.js";
import { type Actor, ALARM_ACTOR } from "./records.js";
import type { ClusterUnits } from "./units.js";

/** Self-preservation: how many live leases a cluster needs before it applies (Eureka's rule). */
export const SELF_PRESERVATION_MIN_NODES = 10;
/** While degraded, how often to look again at whether renewals have recovered. */
export const DEGRADED_RECHECK_MS = 10_000;

export interface ExpireOptions {
  /** An operator overrides self-preservation. */
  force?: boolean;
  actor?: Actor;
}

/**
 * Ends every lease that has run out, lifts overrides that have expired, and forgets credentials
 * past their retention. Idempotent: a second run at the same time finds nothing to do. Returns
 * how many leases and overrides ended.
 */
export function expireDue(u: ClusterUnits, now: number, { force = false, actor = ALARM_ACTOR }: ExpireOptions = {}): number {
  const due: NodeState[] = [];
  let refreshed = false;
  for (const state of u.leases.all()) {
    if (state.endedAt === null) {
      if (state.expiresAt > now) continue;
      // Lazy expiry: socket-held leases run to their last signal + TTL. All of them are brought
      // up to date in the same pass, so no live one comes due again for TTL − renewAfter.
      if (!refreshed) {
        u.holds.refresh();
        refreshed = true;
      }
      if (state.expiresAt <= now) due.push(state);
    } else if (state.endedAt + u.options.credentialRetentionMs <= now) {
      u.forgetNode(state, { retired: false });
    }
  }
  // Self-preservation (Eureka's lesson): when more than half of a sizeable cluster would
  // expire at once, the directory or the network was away, not the nodes. Keep them, say so,
  // and look again shortly; expire normally once renewals have recovered.
  const live = u.leases.liveCount;
  if (live >= SELF_PRESERVATION_MIN_NODES && due.length * 2 > live && !force) {
    setDegraded(u, true, now, actor, `${due.length} of ${live} leases ran out at once`);
    // Look again after a pause that gives renewals time to arrive, not on every request.
    u.clock.recompute(u.leases, u.overrides, u.options.credentialRetentionMs);
    u.clock.notBefore(now + DEGRADED_RECHECK_MS);
    return 0;
  }
  const ended = u.changes.record(now, (change) => {
    let count = 0;
    for (const state of due) {
      const before = nodeSnapshot(state);
      endLease(u, change, state, now);
      change.audit(actor, "node.expire", state.id, force ? "forced by an operator" : null, before, null);
      count++;
    }
    for (const override of u.overrides.values()) {
      if (override.expiresAt !== null && override.expiresAt <= now) {
        u.overrides.remove(change, override.node);
        change.audit(ALARM_ACTOR, "override.expire", override.node, override.reason, overrideSnapshot(override), null);
        count++;
      }
    }
    return count;
  });
  if (u.clock.degraded) setDegraded(u, false, now, actor, force ? "expiry forced by an operator" : "renewals recovered");
  u.clock.recompute(u.leases, u.overrides, u.options.credentialRetentionMs);
  return ended;
}

/** Ends whatever is due first, when anything may be. */
export function expireIfDue(u: ClusterUnits, now: number): void {
  if (u.clock.due(now)) expireDue(u, now);
}

/** Ends a live lease; its credential stays until its retention ends. */
export function endLease(u: ClusterUnits, change: Parameters<typeof u.leases.end>[0], state: NodeState, now: number): void {
  u.leases.end(change, state, now);
  clearReachability(u, state.id);
  u.clock.lower(now + u.options.credentialRetentionMs);
}

/** Enters or leaves degraded mode; handouts say `"degraded": true` meanwhile. */
function setDegraded(u: ClusterUnits, degraded: boolean, now: number, actor: Actor, reason: string): void {
  u.changes.record(now, (change) => {
    if (!u.clock.setDegraded(degraded)) return;
    change.bump();
    change.audit(actor, degraded ? "cluster.degraded" : "cluster.recovered", null, reason, null, null);
  });
}
