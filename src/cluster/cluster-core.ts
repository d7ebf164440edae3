/**
 * One cluster's directory as a plain state machine: leases, credentials, overrides, versions,
 * handouts and the audit trail.
 *
 * Everything here is synchronous and runtime-free, so unit tests drive it with a fake clock and
 * an in-memory store, and the Durable Object stays a thin adapter. State lives in memory (the
 * object's single-threaded instance) and is written through to a `DirectoryStore` in the same
 * synchronous turn, so SQLite commits each operation atomically and a restarted object rebuilds
 * exactly this state from it.
 *
 * Hot paths are cheap on purpose. A plain renewal (nothing but the expiry moves) touches memory
 * only: renewals are checkpointed to storage in batches, at most `renewalCheckpointMs` apart, as
 * etcd does with lease keep-alives; the checkpoint window's start is stored first, so a restart
 * that lost the window's renewals keeps every live lease until that start + the interval + its
 * TTL, and never drops a node that renewed. A handout whose ETag matches is answered from memory
 * without SQL; handout bodies are joined from per-peer JSON fragments serialised once per change
 * and cached per requester.
 */
import type { NodeView } from "../contract/admin.js";
import { fail, ok, type Outcome, problem, UNAUTHORIZED_HEADERS } from "../contract/problem.js";
import { addressPolicyViolation } from "./address-policy.js";
import { AUDIT_PRUNE_EVERY, AUDIT_RETENTION, nodeSnapshot, overrideSnapshot } from "./audit.js";
import { type ChangeRecord, deltaSince, KEEP_VERSIONS, RESYNC_ALL } from "./changelog.js";
import { handoutBody, type HandoutEntry, handoutPool, selectPeers, zoneOf } from "./handout.js";
import { grantTtl, renewAfterSeconds } from "./leases.js";
import { TokenBuckets } from "./rate-limit.js";
import {
  type Actor,
  ALARM_ACTOR,
  type AuditRecord,
  type ClusterMeta,
  type ClusterSettings,
  DEFAULT_SETTINGS,
  type JoinTokenRecord,
  type NodeRecord,
  type OverrideRecord,
  peerJson,
  sortedLabels,
} from "./records.js";

/** Persistence of every change the core makes; each call is one statement in the same turn. */
export interface DirectoryStore {
  insertCluster(meta: ClusterMeta): void;
  saveVersion(version: number): void;
  saveSettings(settings: ClusterSettings): void;
  insertJoinToken(token: JoinTokenRecord): void;
  deleteJoinToken(id: string): void;
  /** Insert or replace the whole row. */
  saveNode(node: NodeRecord): void;
  /** Only the fields a plain renewal changes. */
  saveRenewal(node: NodeRecord): void;
  /** When the open renewal checkpoint window began (null: every renewal is stored). */
  saveRenewalsUnsavedSince(at: number | null): void;
  saveLeaseEnd(id: string, endedAt: number): void;
  deleteNode(id: string): void;
  saveOverride(override: OverrideRecord): void;
  deleteOverride(node: string): void;
  insertAudit(entry: AuditRecord): void;
  pruneAudit(upToSeq: number): void;
  /** Newest first, entries with seq below `beforeSeq` (all when null). */
  readAudit(limit: number, beforeSeq: number | null): AuditRecord[];
  insertChange(change: ChangeRecord): void;
  /** Forgets the change log up to and including `upToVersion`, which becomes the floor. */
  pruneChanges(upToVersion: number): void;
  saveDegraded(degraded: boolean): void;
}

export interface Snapshot {
  meta: ClusterMeta | null;
  nodes: NodeRecord[];
  joinTokens: JoinTokenRecord[];
  overrides: OverrideRecord[];
  lastAuditSeq: number;
  changes: ChangeRecord[];
  /** Deltas can be computed from any version at or above this one. */
  changelogFloor: number;
  degraded: boolean;
  /** Renewals since this time may be missing from `nodes` (the object stopped before its checkpoint). */
  renewalsUnsavedSince: number | null;
}

export const EMPTY_SNAPSHOT: Snapshot = {
  meta: null,
  nodes: [],
  joinTokens: [],
  overrides: [],
  lastAuditSeq: 0,
  changes: [],
  changelogFloor: 0,
  degraded: false,
  renewalsUnsavedSince: null,
};

/** Self-preservation: how many live leases a cluster needs before it applies (Eureka's rule). */
export const SELF_PRESERVATION_MIN_NODES = 10;
/** While degraded, how often to look again at whether renewals have recovered. */
export const DEGRADED_RECHECK_MS = 10_000;

/** How a delta answer that had to fall back to the full handout begins. */
const SNAPSHOT_PREFIX = '{"snapshot":true,';

export interface CoreOptions {
  /** Token bucket size per node; the refill rate is the cluster's minIntervalSeconds. */
  rateBurst: number;
  /** How long a node credential outlives its lease, so a restarted agent can renew with it. */
  credentialRetentionMs: number;
  random: () => number;
  /** How long a plain renewal may stay in memory only before it is written (see the header). */
  renewalCheckpointMs: number;
}

/** The default `renewalCheckpointMs`. A crash inside a window can keep a dead node listed up to its TTL + this longer. */
export const RENEWAL_CHECKPOINT_MS = 5_000;

export const DEFAULT_CORE_OPTIONS: CoreOptions = {
  rateBurst: 10,
  credentialRetentionMs: 7 * 24 * 3600 * 1000,
  random: Math.random,
  renewalCheckpointMs: RENEWAL_CHECKPOINT_MS,
};

export interface NodeRequest {
  cluster: string;
  node: string;
  tokenHash: string;
  now: number;
}

export interface RegisterInput extends NodeRequest {
  addrs: string[];
  labels?: Record<string, string>;
  ttlSeconds?: number;
  observedIp: string | null;
  /** A new credential, required when the token is a join token (hashing is async; the core is not). */
  fresh?: { credential: string; hash: string };
}

export interface RegisterResult {
  created: boolean;
  body: {
    node: string;
    ttlSeconds: number;
    expiresAt: string;
    renewAfterSeconds: number;
    version: number;
    credential?: string;
  };
}

export interface PeersInput extends NodeRequest {
  limit?: number;
  ifNoneMatch?: string | null;
  /** Answer with only what changed since this version (a delta), when it can be told. */
  since?: number;
  /** False for the second look of a long-poll: one request, one token from the rate limit. */
  countRequest?: boolean;
}

export type PeersResult = { status: 304; etag: string } | { status: 200; etag: string; body: string };

export interface AdminRequest {
  cluster: string;
  now: number;
  actor: Actor;
}

export interface NodeState extends NodeRecord, HandoutEntry {
  /** This node as a handout entry, serialised once per change. */
  json: string;
  zone: string | null;
  /** addrs + labels, to tell a renewal that changes them from one that does not. */
  contentKey: string;
}

export interface OverrideState extends OverrideRecord {
  /** For pins: the pinned peer as a handout entry. */
  entry?: HandoutEntry;
}

export interface OverrideInput {
  action: OverrideRecord["action"];
  addrs?: string[];
  labels?: Record<string, string>;
  reason: string;
  expiresAt: number | null;
}

type Principal = { kind: "join"; token: JoinTokenRecord } | { kind: "node" };

const BODY_CACHE_CHARS = 8 * 1024 * 1024;

function contentKeyOf(addrs: string[], labels: Record<string, string>): string {
  return JSON.stringify([addrs, labels]);
}

function toState(record: NodeRecord): NodeState {
  return { ...record, json: peerJson(record), zone: zoneOf(record.labels), contentKey: contentKeyOf(record.addrs, record.labels) };
}

function toOverrideState(record: OverrideRecord): OverrideState {
  if (record.action !== "pin") return { ...record };
  const pinned = { id: record.node, addrs: record.addrs ?? [], labels: record.labels ?? {} };
  return { ...record, entry: { id: record.node, json: peerJson(pinned), zone: zoneOf(pinned.labels) } };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** True when an If-None-Match header names `etag` (weak or strong) or is `*`. */
export function etagMatches(header: string | null | undefined, etag: string): boolean {
  if (!header) return false;
  for (const part of header.split(",")) {
    const tag = part.trim();
    if (tag === "*" || tag === etag || tag === `W/${etag}`) return true;
  }
  return false;
}

export class ClusterCore {
  #meta: ClusterMeta | null;
  readonly #nodes = new Map<string, NodeState>();
  readonly #byCredential = new Map<string, string>();
  readonly #joinTokens = new Map<string, JoinTokenRecord>();
  readonly #overrides = new Map<string, OverrideState>();
  readonly #buckets: TokenBuckets;
  #liveCount = 0;
  #auditSeq: number;
  /** A lower bound on the next time anything is due (expiry, cleanup, override end); exact after a scan. */
  #wakeAt: number | null = null;
  #pool: HandoutEntry[] | null = null;
  readonly #changes: ChangeRecord[];
  #changelogFloor: number;
  /** Ids touched by the operation in progress: whether each was handed out, and its zone, before. */
  readonly #pending = new Map<string, { wasPresent: boolean; wasZone: string | null }>();
  #resyncAll = false;
  #degraded: boolean;
  readonly #bodies = new Map<string, string>();
  #bodyChars = 0;
  /** Nodes whose latest plain renewal is in memory only. */
  readonly #unsavedRenewals = new Set<string>();
  /** When the open checkpoint window began (also in storage), or null when none is open. */
  #unsavedSince: number | null;

  constructor(
    private readonly store: DirectoryStore,
    snapshot: Snapshot,
    private readonly options: CoreOptions = DEFAULT_CORE_OPTIONS,
  ) {
    this.#meta = snapshot.meta;
    this.#auditSeq = snapshot.lastAuditSeq;
    this.#changes = snapshot.changes;
    this.#changelogFloor = snapshot.changelogFloor;
    this.#degraded = snapshot.degraded;
    this.#unsavedSince = snapshot.renewalsUnsavedSince;
    this.#buckets = new TokenBuckets(this.#rateLimit());
    for (const token of snapshot.joinTokens) this.#joinTokens.set(token.hash, token);
    for (const override of snapshot.overrides) this.#overrides.set(override.node, toOverrideState(override));
    for (const record of snapshot.nodes) {
      const state = toState(record);
      this.#nodes.set(state.id, state);
      this.#byCredential.set(state.credentialHash, state.id);
      if (state.endedAt === null) this.#liveCount++;
    }
    if (this.#unsavedSince !== null) this.#keepLeasesWithLostRenewals(this.#unsavedSince);
    this.#recomputeWakeAt();
  }

  /**
   * The object stopped with a checkpoint window open, so renewals made in it may be lost. Any of
   * them came before the window's start + the interval (the next renewal would have written it),
   * so no live lease can really end later than that + its TTL: keep each one at least that long.
   * The extended expiries are written at the next checkpoint; until then a second restart
   * computes the same ones.
   */
  #keepLeasesWithLostRenewals(windowStart: number): void {
    const latestRenewal = windowStart + this.options.renewalCheckpointMs;
    for (const state of this.#nodes.values()) {
      if (state.endedAt !== null) continue;
      const atLeast = latestRenewal + state.ttlSeconds * 1000;
      if (state.expiresAt < atLeast) {
        state.expiresAt = atLeast;
        this.#unsavedRenewals.add(state.id);
      }
    }
  }

  get exists(): boolean {
    return this.#meta !== null;
  }

  get version(): number {
    return this.#meta?.version ?? 0;
  }

  /** Self-preservation is holding back expiry (see expireDue). */
  get degraded(): boolean {
    return this.#degraded;
  }

  get liveCount(): number {
    return this.#liveCount;
  }

  /** When plain renewals held in memory must be written (`checkpointRenewals`), or null. */
  get renewalCheckpointAt(): number | null {
    return this.#unsavedSince === null ? null : this.#unsavedSince + this.options.renewalCheckpointMs;
  }

  /**
   * Writes every renewal held in memory and closes the checkpoint window. The Durable Object
   * calls it when `renewalCheckpointAt` comes; a renewal arriving later does it first itself.
   */
  checkpointRenewals(): void {
    if (this.#unsavedSince !== null || this.#unsavedRenewals.size > 0) this.#checkpoint(null);
  }

  /** Writes the renewals held in memory and records the next window's start (null: none open). */
  #checkpoint(nextWindow: number | null): void {
    for (const id of this.#unsavedRenewals) {
      const state = this.#nodes.get(id);
      if (state) this.store.saveRenewal(state);
    }
    this.#unsavedRenewals.clear();
    this.#unsavedSince = nextWindow;
    this.store.saveRenewalsUnsavedSince(nextWindow);
  }

  /** A renewal that moved only the expiry: held in memory until the window's checkpoint. */
  #holdRenewal(state: NodeState, now: number): void {
    if (this.options.renewalCheckpointMs <= 0) return this.store.saveRenewal(state);
    // No window open, or this one is over: open one, durably, before this renewal is
    // acknowledged (the response waits for the write), so a restart knows it may have been lost.
    const windowOver = this.#unsavedSince !== null && now >= this.#unsavedSince + this.options.renewalCheckpointMs;
    if (this.#unsavedSince === null || windowOver) this.#checkpoint(now);
    this.#unsavedRenewals.add(state.id);
  }

  /** When the object next has work to do (for the alarm), or null when nothing is pending. */
  get wakeAt(): number | null {
    return this.#wakeAt;
  }

  /** Whether `tokenHash` is one of this cluster's join tokens (expired ones included). */
  isJoinToken(tokenHash: string): boolean {
    return this.#joinTokens.has(tokenHash);
  }

  // ---- node operations -------------------------------------------------------------------

  register(input: RegisterInput): Outcome<RegisterResult> {
    const meta = this.#meta;
    if (!meta) return fail(notFoundCluster(input.cluster));
    this.#expireIfDue(input.now);
    const principal = this.#authenticate(input);
    if (!principal.ok) return principal;
    const blocked = this.#blocked(input.node);
    if (blocked) return blocked;
    const limited = this.#takeToken(input.node, input.now);
    if (limited) return limited;

    const { node, now } = input;
    const settings = meta.settings;
    const violation = addressPolicyViolation(settings.addressPolicy, input.addrs, input.observedIp);
    if (violation) return fail(problem("forbidden", violation));
    const ttlSeconds = grantTtl(input.ttlSeconds, settings);
    const expiresAt = now + ttlSeconds * 1000;
    const labels = sortedLabels(input.labels);
    const existing = this.#nodes.get(node);
    const live = existing !== undefined && existing.endedAt === null;
    let credential: string | undefined;
    let created = true;

    if (principal.value.kind === "join") {
      if (live) {
        return fail(
          problem(
            "conflict",
            `node "${node}" has a live lease held by its node credential, so a join token cannot take the id over. ` +
              `Renew with the node's credential, have the node leave, or wait until the lease expires at ${iso(existing.expiresAt)}.`,
          ),
        );
      }
      if (!input.fresh) throw new Error("register: a join-token registration needs a fresh credential");
      if (this.#liveCount >= settings.maxNodes) return fail(clusterFull(meta));
      if (existing) this.#byCredential.delete(existing.credentialHash);
      credential = input.fresh.credential;
      const state = this.#startLease(node, input.fresh.hash, input.addrs, labels, ttlSeconds, expiresAt, input.observedIp, now);
      this.#audit(now, { kind: "join-token", id: principal.value.token.id }, "node.join", node, null, existing ? nodeSnapshot(existing) : null, nodeSnapshot(state));
    } else if (!live) {
      if (this.#liveCount >= settings.maxNodes) return fail(clusterFull(meta));
      const state = this.#startLease(node, existing!.credentialHash, input.addrs, labels, ttlSeconds, expiresAt, input.observedIp, now);
      this.#audit(now, { kind: "node", id: node }, "node.join", node, null, nodeSnapshot(existing!), nodeSnapshot(state));
    } else {
      created = false;
      // The restart rule (see #keepLeasesWithLostRenewals) relies on the stored TTL: a renewal
      // that changes it, or the observed IP, is written at once.
      const plain = existing.ttlSeconds === ttlSeconds && existing.observedIp === input.observedIp;
      existing.ttlSeconds = ttlSeconds;
      existing.expiresAt = expiresAt;
      existing.lastRenewedAt = now;
      existing.observedIp = input.observedIp;
      const contentKey = contentKeyOf(input.addrs, labels);
      if (contentKey === existing.contentKey) {
        if (plain) this.#holdRenewal(existing, now);
        else this.store.saveRenewal(existing);
      } else {
        const before = nodeSnapshot(existing);
        this.#touch(node);
        existing.addrs = input.addrs;
        existing.labels = labels;
        existing.contentKey = contentKey;
        existing.json = peerJson(existing);
        existing.zone = zoneOf(labels);
        this.store.saveNode(existing);
        this.#bump(now);
        this.#audit(now, { kind: "node", id: node }, "node.update", node, null, before, nodeSnapshot(existing));
      }
    }
    this.#lowerWakeAt(expiresAt);
    return ok({
      created,
      body: {
        node,
        ttlSeconds,
        expiresAt: iso(expiresAt)!,
        renewAfterSeconds: renewAfterSeconds(ttlSeconds, this.options.random),
        version: meta.version,
        ...(credential ? { credential } : {}),
      },
    });
  }

  leave(input: NodeRequest): Outcome<null> {
    const found = this.#liveRequester(input);
    if (!found.ok) return found;
    const before = nodeSnapshot(found.value);
    this.#endLease(found.value, input.now);
    this.#bump(input.now);
    this.#audit(input.now, { kind: "node", id: input.node }, "node.leave", input.node, null, before, null);
    return ok(null);
  }

  peers(input: PeersInput): Outcome<PeersResult> {
    const found = this.#liveRequester(input, input.countRequest ?? true);
    if (!found.ok) return found;
    const etag = `"${this.#meta!.version}"`;
    if (etagMatches(input.ifNoneMatch, etag)) return ok({ status: 304, etag });
    const body = input.since === undefined ? this.#handoutBody(input.node, input.limit) : this.#deltaBody(input.node, input.limit, input.since);
    return ok({ status: 200, etag, body });
  }

  /**
   * What a watcher of `node` needs to be told now: the changes to its handout since `since`
   * (null when there are none), or a snapshot when they cannot be told.
   */
  watchUpdate(node: string, limit: number | undefined, since: number | null): { type: "delta" | "snapshot"; message: string } | null {
    if (!this.#meta || since === this.#meta.version) return null;
    const body = since === null ? this.#handoutBody(node, limit) : this.#deltaBody(node, limit, since);
    const snapshot = since === null || body.startsWith(SNAPSHOT_PREFIX);
    const fields = snapshot && since !== null ? body.slice(SNAPSHOT_PREFIX.length) : body.slice(1);
    return { type: snapshot ? "snapshot" : "delta", message: `{"type":"${snapshot ? "snapshot" : "delta"}",${fields}` };
  }

  /** Opens a watch: the same checks as a peers request (credential, block, rate limit, live lease). */
  startWatch(input: NodeRequest): Outcome<null> {
    const found = this.#liveRequester(input);
    return found.ok ? ok(null) : found;
  }

  /** Whether an open watch may go on: its credential still belongs to the node, and it is not blocked. */
  watchStanding(node: string, tokenHash: string): "ok" | "credential-gone" | "blocked" {
    if (this.#byCredential.get(tokenHash) !== node) return "credential-gone";
    return this.#overrides.get(node)?.action === "block" ? "blocked" : "ok";
  }

  /**
   * Ends every lease that has run out, lifts overrides that have expired, and forgets
   * credentials past their retention. Idempotent: a second run at the same time finds nothing
   * to do. Returns how many leases and overrides ended.
   */
  expireDue(now: number, { force = false, actor = ALARM_ACTOR }: { force?: boolean; actor?: Actor } = {}): number {
    let ended = 0;
    const due: NodeState[] = [];
    for (const state of this.#nodes.values()) {
      if (state.endedAt === null) {
        if (state.expiresAt <= now) due.push(state);
      } else if (state.endedAt + this.options.credentialRetentionMs <= now) {
        this.#forgetNode(state);
      }
    }
    // Self-preservation (Eureka's lesson): when more than half of a sizeable cluster would
    // expire at once, the directory or the network was away, not the nodes. Keep them, say so,
    // and look again shortly; expire normally once renewals have recovered.
    const massExpiry = this.#liveCount >= SELF_PRESERVATION_MIN_NODES && due.length * 2 > this.#liveCount;
    if (massExpiry && !force) {
      this.#setDegraded(true, now, actor, `${due.length} of ${this.#liveCount} leases ran out at once`);
      // Look again after a pause that gives renewals time to arrive, not on every request.
      this.#recomputeWakeAt();
      this.#wakeAt = Math.max(this.#wakeAt ?? 0, now + DEGRADED_RECHECK_MS);
      return 0;
    }
    for (const state of due) {
      const before = nodeSnapshot(state);
      this.#endLease(state, now);
      this.#audit(now, actor, "node.expire", state.id, force ? "forced by an operator" : null, before, null);
      ended++;
    }
    for (const override of this.#overrides.values()) {
      if (override.expiresAt !== null && override.expiresAt <= now) {
        this.#touch(override.node);
        this.#overrides.delete(override.node);
        this.store.deleteOverride(override.node);
        this.#audit(now, ALARM_ACTOR, "override.expire", override.node, override.reason, overrideSnapshot(override), null);
        ended++;
      }
    }
    if (ended > 0) this.#bump(now);
    if (this.#degraded) this.#setDegraded(false, now, actor, force ? "expiry forced by an operator" : "renewals recovered");
    this.#recomputeWakeAt();
    return ended;
  }

  /** Enters or leaves the degraded state; true when it changed. Handouts say `"degraded": true` meanwhile. */
  #setDegraded(degraded: boolean, now: number, actor: Actor, reason: string): boolean {
    if (this.#degraded === degraded) return false;
    this.#degraded = degraded;
    this.store.saveDegraded(degraded);
    this.#bump(now);
    this.#audit(now, actor, degraded ? "cluster.degraded" : "cluster.recovered", null, reason, null, null);
    return true;
  }

  // ---- admin operations ------------------------------------------------------------------

  createCluster(name: string, now: number, joinToken: JoinTokenRecord): Outcome<ClusterMeta> {
    if (this.#meta) return fail(problem("conflict", `cluster "${name}" already exists; pick another name or delete it first`));
    const meta: ClusterMeta = { name, createdAt: now, version: 1, settings: { ...DEFAULT_SETTINGS } };
    this.store.insertCluster(meta);
    this.store.insertJoinToken(joinToken);
    this.#meta = meta;
    this.#joinTokens.set(joinToken.hash, joinToken);
    this.#buckets.setLimit(this.#rateLimit());
    this.#audit(now, { kind: "admin", id: "admin" }, "cluster.create", null, null, null, { name, settings: meta.settings });
    this.#audit(now, { kind: "admin", id: "admin" }, "join-token.create", null, null, null, { id: joinToken.id, expiresAt: iso(joinToken.expiresAt) });
    return ok(meta);
  }

  summary(cluster: string): Outcome<{ name: string; nodes: number; version: number; createdAt: string; degraded: boolean; settings: ClusterSettings }> {
    const meta = this.#meta;
    if (!meta) return fail(notFoundCluster(cluster));
    return ok({
      name: meta.name,
      nodes: this.#liveCount,
      version: meta.version,
      createdAt: iso(meta.createdAt)!,
      degraded: this.#degraded,
      settings: { ...meta.settings },
    });
  }

  /** An operator's override of self-preservation: expire every lease that is due, now. */
  forceExpire(req: AdminRequest): Outcome<{ expired: number }> {
    if (!this.#meta) return fail(notFoundCluster(req.cluster));
    return ok({ expired: this.expireDue(req.now, { force: true, actor: req.actor }) });
  }

  updateSettings(req: AdminRequest, patch: Partial<ClusterSettings>): Outcome<ReturnType<ClusterCore["summary"]> extends Outcome<infer T> ? T : never> {
    const meta = this.#meta;
    if (!meta) return fail(notFoundCluster(req.cluster));
    const next: ClusterSettings = { ...meta.settings };
    for (const [key, value] of Object.entries(patch)) if (value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
    if (!(next.minTtlSeconds <= next.defaultTtlSeconds && next.defaultTtlSeconds <= next.maxTtlSeconds)) {
      return fail(
        problem("bad-request", `the TTL bounds must keep minTtlSeconds ≤ defaultTtlSeconds ≤ maxTtlSeconds; this change would make them ${next.minTtlSeconds} / ${next.defaultTtlSeconds} / ${next.maxTtlSeconds}`, {
          errors: [{ pointer: "/defaultTtlSeconds", detail: "must lie between minTtlSeconds and maxTtlSeconds" }],
        }),
      );
    }
    const before = { ...meta.settings };
    if (next.defaultLimit !== before.defaultLimit) this.#resyncAll = true;
    meta.settings = next;
    this.store.saveSettings(next);
    this.#buckets.setLimit(this.#rateLimit());
    this.#bump(req.now);
    this.#audit(req.now, req.actor, "cluster.update", null, null, before, { ...next });
    return this.summary(req.cluster);
  }

  createJoinToken(req: AdminRequest, token: JoinTokenRecord): Outcome<JoinTokenRecord> {
    if (!this.#meta) return fail(notFoundCluster(req.cluster));
    const past = this.#pastExpiry(token.expiresAt, req.now);
    if (past) return past;
    this.store.insertJoinToken(token);
    this.#joinTokens.set(token.hash, token);
    this.#audit(req.now, req.actor, "join-token.create", null, null, null, { id: token.id, expiresAt: iso(token.expiresAt) });
    return ok(token);
  }

  listJoinTokens(cluster: string): Outcome<{ id: string; createdAt: string; expiresAt: string | null }[]> {
    if (!this.#meta) return fail(notFoundCluster(cluster));
    return ok(
      [...this.#joinTokens.values()]
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
        .map((t) => ({ id: t.id, createdAt: iso(t.createdAt)!, expiresAt: iso(t.expiresAt) })),
    );
  }

  revokeJoinToken(req: AdminRequest, id: string): Outcome<null> {
    if (!this.#meta) return fail(notFoundCluster(req.cluster));
    const token = [...this.#joinTokens.values()].find((t) => t.id === id);
    if (!token) return fail(problem("not-found", `cluster "${req.cluster}" has no join token with id "${id}"; list them with GET …/join-tokens`));
    this.#joinTokens.delete(token.hash);
    this.store.deleteJoinToken(id);
    this.#audit(req.now, req.actor, "join-token.revoke", null, null, { id, expiresAt: iso(token.expiresAt) }, null);
    return ok(null);
  }

  nodesView(cluster: string): Outcome<NodeView[]> {
    if (!this.#meta) return fail(notFoundCluster(cluster));
    const rows: NodeView[] = [];
    for (const state of this.#nodes.values()) {
      const override = this.#overrides.get(state.id);
      const live = state.endedAt === null;
      if (!live && override?.action !== "block") continue;
      rows.push({
        id: state.id,
        addrs: state.addrs,
        labels: state.labels,
        source: "lease",
        state: override?.action === "block" ? "blocked" : override?.action === "drain" ? "draining" : "active",
        expiresAt: live ? iso(state.expiresAt) : null,
        registeredAt: iso(state.registeredAt),
        lastRenewedAt: iso(state.lastRenewedAt),
        observedIp: state.observedIp,
      });
    }
    for (const override of this.#overrides.values()) {
      if (override.action === "pin") {
        rows.push({ id: override.node, addrs: override.addrs ?? [], labels: override.labels ?? {}, source: "pin" as const, state: "active" as const, expiresAt: null, registeredAt: null, lastRenewedAt: null, observedIp: null });
      } else if (override.action === "block" && !this.#nodes.has(override.node)) {
        rows.push({ id: override.node, addrs: [], labels: {}, source: "lease" as const, state: "blocked" as const, expiresAt: null, registeredAt: null, lastRenewedAt: null, observedIp: null });
      }
    }
    rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.source < b.source ? -1 : 1));
    return ok(rows);
  }

  /** Ends a node's lease and retires its credential: it must use a join token to come back. */
  evict(req: AdminRequest, node: string, reason: string): Outcome<null> {
    if (!this.#meta) return fail(notFoundCluster(req.cluster));
    const state = this.#nodes.get(node);
    if (!state || state.endedAt !== null) return fail(problem("not-found", `node "${node}" has no live lease in cluster "${req.cluster}"`));
    const before = nodeSnapshot(state);
    this.#endLease(state, req.now);
    this.#forgetNode(state);
    this.#bump(req.now);
    this.#audit(req.now, req.actor, "node.evict", node, reason, before, null);
    return ok(null);
  }

  revokeCredential(req: AdminRequest, node: string): Outcome<null> {
    if (!this.#meta) return fail(notFoundCluster(req.cluster));
    const state = this.#nodes.get(node);
    if (!state) return fail(problem("not-found", `node "${node}" has no credential in cluster "${req.cluster}"`));
    const before = nodeSnapshot(state);
    const live = state.endedAt === null;
    if (live) this.#endLease(state, req.now);
    this.#forgetNode(state);
    if (live) this.#bump(req.now);
    this.#audit(req.now, req.actor, "node.credential-revoke", node, null, before, null);
    return ok(null);
  }

  setOverride(req: AdminRequest, node: string, input: OverrideInput): Outcome<OverrideRecord> {
    if (!this.#meta) return fail(notFoundCluster(req.cluster));
    const past = this.#pastExpiry(input.expiresAt, req.now);
    if (past) return past;
    const record: OverrideRecord = {
      node,
      action: input.action,
      addrs: input.action === "pin" ? (input.addrs ?? []) : null,
      labels: input.action === "pin" ? sortedLabels(input.labels) : null,
      reason: input.reason,
      createdAt: req.now,
      expiresAt: input.expiresAt,
    };
    const previous = this.#overrides.get(node);
    this.#touch(node);
    this.#overrides.set(node, toOverrideState(record));
    this.store.saveOverride(record);
    if (record.action === "block") {
      const state = this.#nodes.get(node);
      if (state && state.endedAt === null) this.#endLease(state, req.now);
    }
    if (record.expiresAt !== null) this.#lowerWakeAt(record.expiresAt);
    this.#bump(req.now);
    this.#audit(req.now, req.actor, "override.set", node, input.reason, previous ? overrideSnapshot(previous) : null, overrideSnapshot(record));
    return ok(record);
  }

  liftOverride(req: AdminRequest, node: string): Outcome<null> {
    if (!this.#meta) return fail(notFoundCluster(req.cluster));
    const override = this.#overrides.get(node);
    if (!override) return fail(problem("not-found", `node "${node}" has no override in cluster "${req.cluster}"`));
    this.#touch(node);
    this.#overrides.delete(node);
    this.store.deleteOverride(node);
    this.#bump(req.now);
    this.#audit(req.now, req.actor, "override.lift", node, null, overrideSnapshot(override), null);
    return ok(null);
  }

  listOverrides(cluster: string): Outcome<OverrideRecord[]> {
    if (!this.#meta) return fail(notFoundCluster(cluster));
    return ok([...this.#overrides.values()].map(({ entry: _entry, ...record }) => record).sort((a, b) => (a.node < b.node ? -1 : 1)));
  }

  /** Exactly what `node` would receive from its peers request now (the same code path). */
  handoutPreview(cluster: string, node: string, limit: number | undefined, now: number): Outcome<string> {
    if (!this.#meta) return fail(notFoundCluster(cluster));
    this.#expireIfDue(now);
    return ok(this.#handoutBody(node, limit));
  }

  auditPage(cluster: string, limit: number, beforeSeq: number | null): Outcome<{ entries: AuditRecord[]; next: string | null }> {
    if (!this.#meta) return fail(notFoundCluster(cluster));
    const rows = this.store.readAudit(limit + 1, beforeSeq);
    const entries = rows.slice(0, limit);
    return ok({ entries, next: rows.length > limit ? String(entries[entries.length - 1].seq) : null });
  }

  // ---- internals ---------------------------------------------------------------------------

  #expireIfDue(now: number): void {
    if (this.#wakeAt !== null && now >= this.#wakeAt) this.expireDue(now);
  }

  #authenticate(input: NodeRequest): Outcome<Principal> {
    const token = this.#joinTokens.get(input.tokenHash);
    if (token) {
      if (token.expiresAt !== null && input.now >= token.expiresAt) {
        return fail(problem("unauthorized", "this join token has expired; ask an operator for a new one", { headers: UNAUTHORIZED_HEADERS }));
      }
      return ok({ kind: "join", token });
    }
    const owner = this.#byCredential.get(input.tokenHash);
    if (owner === input.node) return ok({ kind: "node" });
    if (owner !== undefined) {
      return fail(problem("forbidden", `this node credential belongs to another node of cluster "${input.cluster}", not to "${input.node}"`));
    }
    return fail(
      problem(
        "unauthorized",
        `the token is not a join token or node credential of cluster "${input.cluster}" (it may have been replaced, revoked or forgotten); register again with the cluster's join token`,
        { headers: UNAUTHORIZED_HEADERS },
      ),
    );
  }

  #blocked(node: string): Outcome<never> | null {
    const override = this.#overrides.get(node);
    if (override?.action !== "block") return null;
    return fail(problem("forbidden", `node "${node}" is blocked by an operator: ${override.reason}`));
  }

  /** Authenticates a node credential for `input.node` and finds its live lease. */
  #liveRequester(input: NodeRequest, countRequest = true): Outcome<NodeState> {
    if (!this.#meta) return fail(notFoundCluster(input.cluster));
    this.#expireIfDue(input.now);
    const principal = this.#authenticate(input);
    if (!principal.ok) return principal;
    if (principal.value.kind === "join") {
      return fail(problem("forbidden", "a join token can only register a node (PUT); use the node credential that registration returned"));
    }
    const blocked = this.#blocked(input.node);
    if (blocked) return blocked;
    const limited = countRequest ? this.#takeToken(input.node, input.now) : null;
    if (limited) return limited;
    const state = this.#nodes.get(input.node);
    if (!state || state.endedAt !== null) {
      return fail(problem("not-found", `node "${input.node}" has no live lease in cluster "${input.cluster}"; register it again with PUT`));
    }
    return ok(state);
  }

  #rateLimit() {
    const interval = this.#meta?.settings.minIntervalSeconds ?? DEFAULT_SETTINGS.minIntervalSeconds;
    return { burst: this.options.rateBurst, perSecond: interval > 0 ? 1 / interval : Number.POSITIVE_INFINITY };
  }

  #takeToken(node: string, now: number): Outcome<never> | null {
    const retryAfter = this.#buckets.take(node, now);
    if (retryAfter === 0) return null;
    const interval = this.#meta!.settings.minIntervalSeconds;
    return fail(
      problem(
        "rate-limited",
        `node "${node}" is over its rate limit (bursts of ${this.options.rateBurst}, then one request per ${interval} s); retry after ${retryAfter} s`,
        { headers: { "Retry-After": String(retryAfter) } },
      ),
    );
  }

  #pastExpiry(expiresAt: number | null, now: number): Outcome<never> | null {
    if (expiresAt === null || expiresAt > now) return null;
    return fail(problem("bad-request", "expiresAt must be in the future", { errors: [{ pointer: "/expiresAt", detail: "must be in the future" }] }));
  }

  #startLease(
    id: string,
    credentialHash: string,
    addrs: string[],
    labels: Record<string, string>,
    ttlSeconds: number,
    expiresAt: number,
    observedIp: string | null,
    now: number,
  ): NodeState {
    const state = toState({ id, credentialHash, addrs, labels, ttlSeconds, registeredAt: now, lastRenewedAt: now, expiresAt, endedAt: null, observedIp });
    this.#touch(id);
    this.#nodes.set(id, state);
    this.#byCredential.set(credentialHash, id);
    this.#liveCount++;
    this.store.saveNode(state);
    this.#bump(now);
    return state;
  }

  #endLease(state: NodeState, now: number): void {
    this.#touch(state.id);
    state.endedAt = now;
    this.#liveCount--;
    this.store.saveLeaseEnd(state.id, now);
    this.#lowerWakeAt(now + this.options.credentialRetentionMs);
  }

  /** Drops a node id's row and credential entirely (its lease must have ended). */
  #forgetNode(state: NodeState): void {
    // Its cached handouts were ordered by its zone; they must not outlive it (the version does not move here).
    this.#bodies.clear();
    this.#bodyChars = 0;
    this.#nodes.delete(state.id);
    this.#unsavedRenewals.delete(state.id);
    this.#byCredential.delete(state.credentialHash);
    this.#buckets.forget(state.id);
    this.store.deleteNode(state.id);
  }

  /** Whether `id` is in the handout pool now (a live, unoverridden lease, or a pin). */
  #inPool(id: string): boolean {
    const override = this.#overrides.get(id);
    if (override) return override.action === "pin";
    return this.#nodes.get(id)?.endedAt === null;
  }

  /** Notes an id's state before the operation in progress changes it, for the change log. */
  #touch(id: string): void {
    if (this.#pending.has(id)) return;
    const override = this.#overrides.get(id);
    const wasZone = override?.entry ? override.entry.zone : (this.#nodes.get(id)?.zone ?? null);
    this.#pending.set(id, { wasPresent: this.#inPool(id), wasZone });
  }

  #bump(now: number): void {
    const meta = this.#meta!;
    meta.version++;
    this.store.saveVersion(meta.version);
    const record = (node: string, wasPresent: boolean, wasZone: string | null) => {
      const change = { version: meta.version, node, wasPresent, wasZone, at: now };
      this.#changes.push(change);
      this.store.insertChange(change);
    };
    if (this.#resyncAll) record(RESYNC_ALL, false, null);
    for (const [node, before] of this.#pending) record(node, before.wasPresent, before.wasZone);
    this.#pending.clear();
    this.#resyncAll = false;
    this.#pruneChanges(now);
    this.#pool = null;
    this.#bodies.clear();
    this.#bodyChars = 0;
  }

  /** Keeps at least KEEP_VERSIONS versions and at least the max TTL of history; prunes in batches. */
  #pruneChanges(now: number): void {
    const meta = this.#meta!;
    if (meta.version % 100 !== 0) return;
    const keepAfter = now - meta.settings.maxTtlSeconds * 1000;
    let cut = 0;
    while (cut < this.#changes.length && this.#changes[cut].version <= meta.version - KEEP_VERSIONS && this.#changes[cut].at < keepAfter) cut++;
    if (cut === 0) return;
    const upTo = this.#changes[cut - 1].version;
    // Never split a version: prune only whole versions.
    while (cut < this.#changes.length && this.#changes[cut].version === upTo) cut++;
    this.#changes.splice(0, cut);
    this.#changelogFloor = upTo;
    this.store.pruneChanges(upTo);
  }

  #audit(now: number, actor: Actor, action: string, node: string | null, reason: string | null, before: unknown, after: unknown): void {
    const seq = ++this.#auditSeq;
    this.store.insertAudit({ seq, at: now, actor, action, node, reason, before, after });
    if (seq % AUDIT_PRUNE_EVERY === 0 && seq > AUDIT_RETENTION) this.store.pruneAudit(seq - AUDIT_RETENTION);
  }

  #lowerWakeAt(at: number): void {
    if (this.#wakeAt === null || at < this.#wakeAt) this.#wakeAt = at;
  }

  #recomputeWakeAt(): void {
    let next: number | null = null;
    const consider = (due: number) => {
      if (next === null || due < next) next = due;
    };
    for (const state of this.#nodes.values()) consider(state.endedAt === null ? state.expiresAt : state.endedAt + this.options.credentialRetentionMs);
    for (const override of this.#overrides.values()) if (override.expiresAt !== null) consider(override.expiresAt);
    this.#wakeAt = next;
  }

  #currentPool(): HandoutEntry[] {
    this.#pool ??= handoutPool(
      (function* (nodes) {
        for (const s of nodes) if (s.endedAt === null) yield s;
      })(this.#nodes.values()),
      this.#overrides,
    );
    return this.#pool;
  }

  #handoutBody(requester: string, requested: number | undefined): string {
    const limit = requested ?? this.#meta!.settings.defaultLimit;
    return this.#cached(`${requester}\n${limit}`, () =>
      handoutBody(this.#meta!.version, selectPeers(this.#currentPool(), requester, this.#nodes.get(requester)?.zone ?? null, limit), this.#degraded),
    );
  }

  /** `{"version","upserts","removes"}` since `since`, or the full handout flagged `"snapshot": true`. */
  #deltaBody(requester: string, requested: number | undefined, since: number): string {
    const meta = this.#meta!;
    const limit = requested ?? meta.settings.defaultLimit;
    return this.#cached(`${requester}\n${limit}\n${since}`, () => {
      const delta =
        since >= this.#changelogFloor && since <= meta.version
          ? deltaSince(this.#changes, since, this.#currentPool(), requester, this.#nodes.get(requester)?.zone ?? null, limit)
          : null;
      if (!delta) return SNAPSHOT_PREFIX + this.#handoutBody(requester, requested).slice(1);
      const degraded = this.#degraded ? `"degraded":true,` : "";
      return `{"version":${meta.version},${degraded}"upserts":[${delta.upserts.map((e) => e.json).join(",")}],"removes":${JSON.stringify(delta.removes)}}`;
    });
  }

  #cached(key: string, build: () => string): string {
    const cached = this.#bodies.get(key);
    if (cached !== undefined) return cached;
    const body = build();

    while (this.#bodyChars + body.length > BODY_CACHE_CHARS && this.#bodies.size > 0) {
      const [oldestKey, oldest] = this.#bodies.entries().next().value as [string, string];
      this.#bodies.delete(oldestKey);
      this.#bodyChars -= oldest.length;
    }
    if (body.length <= BODY_CACHE_CHARS) {
      this.#bodies.set(key, body);
      this.#bodyChars += body.length;
    }
    return body;
  }
}

function notFoundCluster(cluster: string) {
  return problem("not-found", `cluster "${cluster}" does not exist; an operator creates it with POST /v1/admin/clusters`);
}

function clusterFull(meta: ClusterMeta) {
  return problem(
    "cluster-full",
    `cluster "${meta.name}" already has ${meta.settings.maxNodes} live nodes (its maxNodes); a node must leave or expire before another can join`,
  );
}
