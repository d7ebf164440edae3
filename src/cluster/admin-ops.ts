/**
 * What operators do: create the cluster, change its settings, issue and revoke join tokens,
 * evict nodes, revoke credentials, and set or lift overrides. Every change is audited.
 */
import { carriesPeer, OVERRIDES } from "../contract/overrides.js";
import { nodeSnapshot, overrideSnapshot } from "./audit.js";
import { endLease, expireDue } from "./expire-due.js";
import { isoOrNull } from "./present.js";
import { type Actor, type ClusterMeta, type ClusterSettings, DEFAULT_SETTINGS, type JoinTokenRecord, type OverrideRecord, sortedLabels } from "./records.js";
import type { ReachState } from "../contract/reachability.js";
import { reachabilityCounts } from "./reachability-ops.js";
import { loopingCount } from "./consumer-loops.js";
import { done, refuse, type Result } from "./refusals.js";
import type { ClusterUnits } from "./units.js";

export interface AdminRequest {
  now: number;
  actor: Actor;
}

export interface OverrideInput {
  action: OverrideRecord["action"];
  addrs?: string[];
  labels?: Record<string, string>;
  reason: string;
  expiresAt: number | null;
}

export interface ClusterSummary {
  name: string;
  nodes: number;
  version: number;
  createdAt: string;
  degraded: boolean;
  /** Live nodes by reachability state, and how many say they are not ready. */
  reachability: Record<ReachState | "notReady", number>;
  /** Live nodes whose agents say their local consumers loop. */
  consumerLoops: number;
  settings: ClusterSettings;
}

function pastExpiry(expiresAt: number | null, now: number): Result<never> | null {
  return expiresAt === null || expiresAt > now ? null : refuse({ kind: "expiry-in-past" });
}

export function createCluster(u: ClusterUnits, name: string, now: number, joinToken: JoinTokenRecord, actor: Actor): Result<ClusterMeta> {
  if (u.meta) return refuse({ kind: "cluster-exists" });
  const meta: ClusterMeta = { name, createdAt: now, version: 1, settings: { ...DEFAULT_SETTINGS } };
  u.changes.record(now, (change) => {
    change.insertCluster(meta);
    u.credentials.addJoinToken(joinToken);
    u.meta = meta;
    u.limits.setInterval(meta.settings.minIntervalSeconds);
    change.audit(actor, "cluster.create", null, null, null, { name, settings: meta.settings });
    change.audit(actor, "join-token.create", null, null, null, { id: joinToken.id, expiresAt: isoOrNull(joinToken.expiresAt) });
  });
  return done(meta);
}

export function summary(u: ClusterUnits): Result<ClusterSummary> {
  const meta = u.meta;
  if (!meta) return refuse({ kind: "no-cluster" });
  return done({
    name: meta.name,
    nodes: u.leases.liveCount,
    version: meta.version,
    createdAt: isoOrNull(meta.createdAt)!,
    degraded: u.clock.degraded,
    reachability: reachabilityCounts(u),
    consumerLoops: loopingCount(u.leases.live()),
    settings: { ...meta.settings },
  });
}

/** An operator's override of self-preservation: expire every lease that is due, now. */
export function forceExpire(u: ClusterUnits, req: AdminRequest): Result<{ expired: number }> {
  if (!u.meta) return refuse({ kind: "no-cluster" });
  return done({ expired: expireDue(u, req.now, { force: true, actor: req.actor }) });
}

export function updateSettings(u: ClusterUnits, req: AdminRequest, patch: Partial<ClusterSettings>): Result<ClusterSummary> {
  const meta = u.meta;
  if (!meta) return refuse({ kind: "no-cluster" });
  const next: ClusterSettings = { ...meta.settings };
  for (const [key, value] of Object.entries(patch)) if (value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
  if (!(next.minTtlSeconds <= next.defaultTtlSeconds && next.defaultTtlSeconds <= next.maxTtlSeconds)) {
    return refuse({ kind: "ttl-bounds", minTtlSeconds: next.minTtlSeconds, defaultTtlSeconds: next.defaultTtlSeconds, maxTtlSeconds: next.maxTtlSeconds });
  }
  u.changes.record(req.now, (change) => {
    const before = { ...meta.settings };
    if (next.defaultLimit !== before.defaultLimit) change.resyncAll();
    meta.settings = next;
    change.saveSettings(next);
    u.limits.setInterval(next.minIntervalSeconds);
    change.bump();
    change.audit(req.actor, "cluster.update", null, null, before, { ...next });
  });
  return summary(u);
}

export function createJoinToken(u: ClusterUnits, req: AdminRequest, token: JoinTokenRecord): Result<JoinTokenRecord> {
  if (!u.meta) return refuse({ kind: "no-cluster" });
  const past = pastExpiry(token.expiresAt, req.now);
  if (past) return past;
  u.changes.record(req.now, (change) => {
    u.credentials.addJoinToken(token);
    change.audit(req.actor, "join-token.create", null, null, null, { id: token.id, expiresAt: isoOrNull(token.expiresAt) });
  });
  return done(token);
}

export function listJoinTokens(u: ClusterUnits): Result<{ id: string; createdAt: string; expiresAt: string | null }[]> {
  if (!u.meta) return refuse({ kind: "no-cluster" });
  return done(u.credentials.joinTokens().map((t) => ({ id: t.id, createdAt: isoOrNull(t.createdAt)!, expiresAt: isoOrNull(t.expiresAt) })));
}

export function revokeJoinToken(u: ClusterUnits, req: AdminRequest, id: string): Result<null> {
  if (!u.meta) return refuse({ kind: "no-cluster" });
  return u.changes.record(req.now, (change) => {
    const token = u.credentials.revokeJoinToken(id);
    if (!token) return refuse({ kind: "no-join-token", id });
    change.audit(req.actor, "join-token.revoke", null, null, { id, expiresAt: isoOrNull(token.expiresAt) }, null);
    return done(null);
  });
}

/** Ends a node's lease and retires its credential: it must use a join token to come back. */
export function evict(u: ClusterUnits, req: AdminRequest, node: string, reason: string): Result<null> {
  if (!u.meta) return refuse({ kind: "no-cluster" });
  const state = u.leases.get(node);
  if (!state || state.endedAt !== null) return refuse({ kind: "no-live-lease", node });
  u.changes.record(req.now, (change) => {
    const before = nodeSnapshot(state);
    endLease(u, change, state, req.now);
    u.forgetNode(state);
    change.audit(req.actor, "node.evict", node, reason, before, null);
  });
  return done(null);
}

export function revokeCredential(u: ClusterUnits, req: AdminRequest, node: string): Result<null> {
  if (!u.meta) return refuse({ kind: "no-cluster" });
  const state = u.leases.get(node);
  if (!state) return refuse({ kind: "no-credential", node });
  u.changes.record(req.now, (change) => {
    const before = nodeSnapshot(state);
    if (state.endedAt === null) endLease(u, change, state, req.now);
    u.forgetNode(state);
    change.audit(req.actor, "node.credential-revoke", node, null, before, null);
  });
  return done(null);
}

export function setOverride(u: ClusterUnits, req: AdminRequest, node: string, input: OverrideInput): Result<OverrideRecord> {
  if (!u.meta) return refuse({ kind: "no-cluster" });
  const past = pastExpiry(input.expiresAt, req.now);
  if (past) return past;
  const record: OverrideRecord = {
    node,
    action: input.action,
    addrs: carriesPeer(input.action) ? (input.addrs ?? []) : null,
    labels: carriesPeer(input.action) ? sortedLabels(input.labels) : null,
    reason: input.reason,
    createdAt: req.now,
    expiresAt: input.expiresAt,
  };
  u.changes.record(req.now, (change) => {
    const previous = u.overrides.get(node);
    u.overrides.set(change, record);
    const state = u.leases.get(node);
    if (OVERRIDES[record.action].refuses && state && state.endedAt === null) endLease(u, change, state, req.now);
    if (record.expiresAt !== null) u.clock.lower(record.expiresAt);
    change.audit(req.actor, "override.set", node, input.reason, previous ? overrideSnapshot(previous) : null, overrideSnapshot(record));
  });
  return done(record);
}

export function liftOverride(u: ClusterUnits, req: AdminRequest, node: string): Result<null> {
  if (!u.meta) return refuse({ kind: "no-cluster" });
  const override = u.overrides.get(node);
  if (!override) return refuse({ kind: "no-override", node });
  u.changes.record(req.now, (change) => {
    u.overrides.remove(change, node);
    change.audit(req.actor, "override.lift", node, null, overrideSnapshot(override), null);
  });
  return done(null);
}
