/**
 * The units one cluster is made of, built from a snapshot and wired together. Operations
 * (node-ops.ts, admin-ops.ts, expire-due.ts) work on them; the façade (cluster-core.ts) exposes the
 * operations. A new concern becomes one more unit here, with its own store calls, and takes part
 * in changes through `changes.record`.
 */
import { AuditLog } from "./audit.js";
import { ChangeRecorder, type HandoutState } from "./change-recorder.js";
import { Credentials } from "./credentials.js";
import { ExpiryClock } from "./expiry-clock.js";
import { Handouts } from "./handout-bodies.js";
import { LeaseTable, type NodeState } from "./lease-table.js";
import { isStoredReporter, storedEvidence, storedReadiness } from "./reach-facts.js";
import { Overrides } from "./overrides.js";
import { NodeRateLimits } from "./rate-limit.js";
import { type ClusterMeta, DEFAULT_SETTINGS } from "./records.js";
import { type CoreLoad, LeaseHolds } from "./lease-holds.js";
import { REACHABILITY_WINDOW_MS, ReachabilityBook } from "./reachability.js";
import type { CoreOptions, DirectoryStore, Snapshot } from "./store.js";

export class ClusterUnits {
  meta: ClusterMeta | null;
  readonly leases: LeaseTable;
  readonly credentials: Credentials;
  readonly overrides: Overrides;
  readonly changes: ChangeRecorder;
  readonly handouts: Handouts;
  readonly limits: NodeRateLimits;
  readonly audit: AuditLog;
  readonly holds: LeaseHolds;
  readonly clock: ExpiryClock;
  /** Reachability evidence from the nodes' reports (its changes stored as node facts of the leases, reach-facts.ts). */
  readonly reach: ReachabilityBook;

  constructor(
    store: DirectoryStore,
    snapshot: Snapshot,
    readonly options: CoreOptions,
    load: CoreLoad = {},
  ) {
    this.meta = snapshot.meta;
    this.leases = new LeaseTable(store, snapshot.nodes, snapshot.facts, snapshot.consumerLoops);
    this.credentials = new Credentials(store, snapshot.joinTokens, snapshot.nodes, options.onTokenRetired);
    this.overrides = new Overrides(store, snapshot.overrides);
    this.audit = new AuditLog(store, snapshot.lastAuditSeq, options.onAudit);
    this.clock = new ExpiryClock(store, snapshot.degraded);
    this.reach = new ReachabilityBook({
      windowMs: options.reachabilityWindowMs ?? REACHABILITY_WINDOW_MS,
      // Past the cap, stored reporters are dropped from memory last: dropping one costs writes.
      kept: (target, reporter) => isStoredReporter(this.leases.facts, target, reporter),
    });
    this.#restoreMarks(snapshot);
    this.changes = new ChangeRecorder(
      store,
      this.audit,
      { meta: () => this.meta, handoutState: (id) => this.#handoutState(id), versionMoved: () => this.handouts.invalidate() },
      snapshot.changes,
      snapshot.changelogFloor,
    );
    this.handouts = new Handouts({ meta: () => this.meta!, leases: this.leases, overrides: this.overrides, changes: this.changes, degraded: () => this.clock.degraded });
    this.limits = new NodeRateLimits(options.rateBurst, this.meta?.settings.minIntervalSeconds ?? DEFAULT_SETTINGS.minIntervalSeconds);
    this.holds = new LeaseHolds(this.leases, load);
    this.clock.recompute(this.leases, this.overrides, options.credentialRetentionMs);
  }

  /** Readiness and reachability as stored: what a node and its reporters last said survives the restart or wake. */
  #restoreMarks(snapshot: Snapshot): void {
    this.reach.restore(storedEvidence(snapshot.facts), this.leases.liveCount);
    for (const id of this.leases.facts.nodes()) {
      const state = this.leases.get(id);
      if (state?.endedAt === null) this.leases.restoreMarks(state, { ready: storedReadiness(this.leases.facts, id), reach: this.reach.state(id) });
    }
  }

  /** Whether `id` is in the handout pool now (a live, unoverridden lease, or a pin), and its zone there. */
  #handoutState(id: string): HandoutState {
    const override = this.overrides.get(id);
    const node = this.leases.get(id);
    const wasPresent = override ? override.entry !== undefined : node?.endedAt === null;
    return { wasPresent, wasZone: override?.entry ? override.entry.zone : (node?.zone ?? null) };
  }

  /**
   * Drops a node id's row and credential entirely (its lease must have ended). `retired`: the
   * credential was taken away (eviction, revocation), so the edge is told; a credential merely
   * unused for the retention period is not worth listing there (the object still refuses it).
   */
  forgetNode(state: NodeState, { retired = true } = {}): void {
    // Its cached handouts were ordered by its zone; they must not outlive it (the version does not move here).
    this.handouts.forgetBodies();
    this.leases.delete(state.id);
    this.credentials.unbind(state.credentialHash, retired);
    this.limits.forget(state.id);
  }
}
