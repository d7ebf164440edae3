/**
 * One cluster's directory as a plain state machine: the façade over its units (units.ts) and
 * the operations on them (node-ops.ts, admin-ops.ts, expire-due.ts).
 *
 * Everything here is synchronous and runtime-free, so unit tests drive it with a fake clock and
 * an in-memory store, and the Durable Object stays a thin adapter. State lives in memory (the
 * object's single-threaded instance) and is written through to a `DirectoryStore` in the same
 * synchronous turn, so SQLite commits each operation atomically and a restarted object rebuilds
 * exactly this state from it. Refusals are typed (refusals.ts); the Worker words them.
 *
 * Hot paths are cheap on purpose: a plain renewal touches memory only and a heartbeat on a
 * watch socket is not even seen (lease-holds.ts), and a handout whose ETag matches is answered
 * from memory without SQL or serialisation (handout-bodies.ts).
 */
import { type OverrideAction, perAction } from "../contract/overrides.js";
import * as admin from "./admin-ops.js";
import { type ExpireOptions, expireDue } from "./expire-due.js";
import type { Watch } from "./fanout.js";
import type { PassSink, WatchUpdate } from "./handout-bodies.js";
import type { CoreLoad } from "./lease-holds.js";
import * as nodes from "./node-ops.js";
import { nodeViews, presentAudit, presentOverride } from "./present.js";
import { reachabilityView } from "./reachability-ops.js";
import { type Actor, adminActor, type ClusterMeta, type ClusterSettings, type JoinTokenRecord } from "./records.js";
import { ROOT_NAME } from "../contract/tokens.js";
import { done, refuse, type Result } from "./refusals.js";
import { type AuditFilter, type CoreOptions, DEFAULT_CORE_OPTIONS, type DirectoryStore, type Snapshot } from "./store.js";
import { ClusterUnits } from "./units.js";
import type { AuditPage, NodeView, Override } from "../contract/admin.js";

export type { AdminRequest, ClusterSummary, OverrideInput } from "./admin-ops.js";
export { DEGRADED_RECHECK_MS, SELF_PRESERVATION_MIN_NODES } from "./expire-due.js";
export { type CoreLoad, type LeaseSignals, NO_SIGNALS } from "./lease-holds.js";
export type { Watch } from "./fanout.js";
export type { PassSink, WatchUpdate } from "./handout-bodies.js";
export type { NodeState } from "./lease-table.js";
export type { NodeRequest, PeersAnswer, PeersInput, RegisterInput, RegisterResult } from "./node-ops.js";
export type { Refusal, Result } from "./refusals.js";
export { type AuditFilter, type CoreOptions, DEFAULT_CORE_OPTIONS, type DirectoryStore, EMPTY_SNAPSHOT, type Snapshot } from "./store.js";

export class ClusterCore {
  readonly #u: ClusterUnits;

  /** `load.loadedAt`: the object (re)started then, so leases get their restart grace (lease-holds.ts). */
  constructor(store: DirectoryStore, snapshot: Snapshot, options: CoreOptions = DEFAULT_CORE_OPTIONS, load: CoreLoad = {}) {
    this.#u = new ClusterUnits(store, snapshot, options, load);
  }

  get exists(): boolean {
    return this.#u.meta !== null;
  }

  get version(): number {
    return this.#u.meta?.version ?? 0;
  }

  /** Self-preservation is holding back expiry (see expire-due.ts). */
  get degraded(): boolean {
    return this.#u.clock.degraded;
  }

  get liveCount(): number {
    return this.#u.leases.liveCount;
  }

  /** When the object next has work to do (for the alarm), or null when nothing is pending. */
  get wakeAt(): number | null {
    return this.#u.clock.wakeAt;
  }

  /** Whether `tokenHash` is one of this cluster's join tokens (expired ones included). */
  isJoinToken(tokenHash: string): boolean {
    return this.#u.credentials.isJoinToken(tokenHash);
  }

  // ---- nodes -------------------------------------------------------------------------------

  register(input: nodes.RegisterInput): Result<nodes.RegisterResult> {
    return nodes.register(this.#u, input);
  }

  leave(input: nodes.NodeRequest): Result<null> {
    return nodes.leave(this.#u, input);
  }

  peers(input: nodes.PeersInput): Result<nodes.PeersAnswer> {
    return nodes.peers(this.#u, input);
  }

  /**
   * Opens a watch: the same checks as a peers request (credential, block, rate limit, live
   * lease). From then on the socket's pings may hold the lease past its stored expiry.
   */
  startWatch(input: nodes.NodeRequest): Result<null> {
    const found = nodes.liveRequester(this.#u, input);
    if (!found.ok) return found;
    this.#u.holds.socketOpened(found.value);
    return done(null);
  }

  /** The node's last watch socket closed; its lease counts down its TTL from `lastSeen`. */
  socketClosed(node: string, lastSeen: number): void {
    this.#u.holds.socketClosed(node, lastSeen);
  }

  /**
   * What a watcher of `node` needs to be told now: the changes to its handout since `since`
   * (null when there are none), or a snapshot when they cannot be told.
   */
  watchUpdate(node: string, limit: number | undefined, since: number | null): WatchUpdate | null {
    if (!this.#u.meta || since === this.#u.meta.version) return null;
    return this.#u.handouts.watchMessage(node, limit, since);
  }

  /**
   * A socket watches `node`'s handout with `limit`; `openedAt` is the version it was brought to,
   * or null for a socket found open after a start or a wake. The watch's key names it later.
   */
  watch(node: string, limit: number | undefined, openedAt: number | null): Watch {
    return this.#u.handouts.fanOut.add(node, limit, this.#u.meta?.settings.defaultLimit ?? null, openedAt);
  }

  /** A socket stopped watching. */
  unwatch(key: string): void {
    this.#u.handouts.fanOut.remove(key);
  }

  /** Brings every watch from `since` to the current version, through `sink` (handout-bodies.ts `pass`). */
  watchPass(since: number, sink: PassSink): void {
    if (this.#u.meta) this.#u.handouts.pass(since, sink);
  }

  watchStanding(node: string, tokenHash: string): "ok" | "credential-gone" | "blocked" {
    return nodes.watchStanding(this.#u, node, tokenHash);
  }

  expireDue(now: number, options?: ExpireOptions): number {
    return expireDue(this.#u, now, options);
  }

  // ---- operators ---------------------------------------------------------------------------

  createCluster(name: string, now: number, joinToken: JoinTokenRecord, actor: Actor = adminActor(ROOT_NAME)): Result<ClusterMeta> {
    return admin.createCluster(this.#u, name, now, joinToken, actor);
  }

  summary(): Result<admin.ClusterSummary> {
    return admin.summary(this.#u);
  }

  forceExpire(req: admin.AdminRequest): Result<{ expired: number }> {
    return admin.forceExpire(this.#u, req);
  }

  updateSettings(req: admin.AdminRequest, patch: Partial<ClusterSettings>): Result<admin.ClusterSummary> {
    return admin.updateSettings(this.#u, req, patch);
  }

  createJoinToken(req: admin.AdminRequest, token: JoinTokenRecord): Result<JoinTokenRecord> {
    return admin.createJoinToken(this.#u, req, token);
  }

  listJoinTokens(): Result<{ id: string; createdAt: string; expiresAt: string | null }[]> {
    return admin.listJoinTokens(this.#u);
  }

  revokeJoinToken(req: admin.AdminRequest, id: string): Result<null> {
    return admin.revokeJoinToken(this.#u, req, id);
  }

  /** Every node as the admin view shows it, less `transport`, which the object adds (it knows the sockets). */
  nodesView(): Result<Omit<NodeView, "transport">[]> {
    return this.#u.meta ? done(nodeViews(this.#u.leases, this.#u.overrides, (id) => reachabilityView(this.#u, id))) : refuse({ kind: "no-cluster" });
  }

  evict(req: admin.AdminRequest, node: string, reason: string): Result<null> {
    return admin.evict(this.#u, req, node, reason);
  }

  revokeCredential(req: admin.AdminRequest, node: string): Result<null> {
    return admin.revokeCredential(this.#u, req, node);
  }

  setOverride(req: admin.AdminRequest, node: string, input: admin.OverrideInput): Result<Override> {
    const set = admin.setOverride(this.#u, req, node, input);
    return set.ok ? done(presentOverride(set.value)) : set;
  }

  liftOverride(req: admin.AdminRequest, node: string): Result<null> {
    return admin.liftOverride(this.#u, req, node);
  }

  listOverrides(): Result<Override[]> {
    return this.#u.meta ? done(this.#u.overrides.records().map(presentOverride)) : refuse({ kind: "no-cluster" });
  }

  /** Exactly what `node` would receive from its peers request now (the same code path). */
  handoutPreview(node: string, limit: number | undefined, now: number): Result<string> {
    if (!this.#u.meta) return refuse({ kind: "no-cluster" });
    if (this.#u.clock.due(now)) expireDue(this.#u, now);
    return done(this.#u.handouts.full(node, limit));
  }

  auditPage(limit: number, beforeSeq: number | null, filter: AuditFilter = {}): Result<AuditPage> {
    if (!this.#u.meta) return refuse({ kind: "no-cluster" });
    const page = this.#u.audit.page(limit, beforeSeq, filter);
    return done({ entries: page.entries.map(presentAudit), next: page.next });
  }

  /** Gauges for the metrics: nodes by lease state and overrides by kind, counted from memory. */
  metricsState(): { live: number; ended: number; overrides: Record<OverrideAction, number> } {
    const overrides = perAction();
    for (const override of this.#u.overrides.values()) overrides[override.action]++;
    return { live: this.#u.leases.liveCount, ended: this.#u.leases.size - this.#u.leases.liveCount, overrides };
  }
}
