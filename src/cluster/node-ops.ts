/**
 * What nodes do: register (join or renew), leave, read their handout, and watch it. Each checks,
 * in order: the cluster exists, whatever is due has expired, the token, a block, the rate limit.
 */
import type { ConsumerReport, Reports } from "../contract/schemas.js";
import { addressPolicyViolation } from "./address-policy.js";
import { nodeSnapshot } from "./audit.js";
import { consumerLoopUpdate } from "./consumer-loops.js";
import type { Change } from "./change-recorder.js";
import type { Principal } from "./credentials.js";
import { endLease, expireIfDue } from "./expire-due.js";
import { contentKeyOf, type LeaseFields, type NodeState } from "./lease-table.js";
import { grantTtl, renewAfterSeconds } from "./leases.js";
import { sortedLabels } from "./records.js";
import { clearReachability, ingestReports } from "./reachability-ops.js";
import { saveReadiness } from "./reach-facts.js";
import { done, refuse, type Result } from "./refusals.js";
import type { ClusterUnits } from "./units.js";

export interface NodeRequest {
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
  /** False while the node's own address does not accept connections (default true). */
  ready?: boolean;
  /** The node's probes of its peers since its last report. */
  reports?: Reports;
  /** Whether its local consumers loop, when that changed (or once per agent run). */
  consumers?: ConsumerReport;
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
    probes?: { probing: "on" | "off"; ranges: string[] };
  };
}

export interface PeersInput extends NodeRequest {
  limit?: number;
  /** Whether the requester already holds the handout of `version` (then no body is built). */
  holds?: (version: number) => boolean;
  /** Answer with only what changed since this version (a delta), when it can be told. */
  since?: number;
  /** False for the second look of a long-poll: one request, one token from the rate limit. */
  countRequest?: boolean;
}

/** The handout at `version`, or null for `body` when the requester holds it already. */
export interface PeersAnswer {
  version: number;
  body: string | null;
}

export function register(u: ClusterUnits, input: RegisterInput): Result<RegisterResult> {
  const meta = u.meta;
  if (!meta) return refuse({ kind: "no-cluster" });
  expireIfDue(u, input.now);
  const principal = u.credentials.authenticate(input.node, input.tokenHash, input.now);
  if (!principal.ok) return principal;
  const refused = blockedOrLimited(u, input.node, input.now, true);
  if (refused) return refused;

  const { node, now } = input;
  const settings = meta.settings;
  const violation = addressPolicyViolation(settings.addressPolicy, input.addrs, input.observedIp);
  if (violation) return refuse({ kind: "address-policy", violation });
  const ttlSeconds = grantTtl(input.ttlSeconds, settings);
  const expiresAt = now + ttlSeconds * 1000;
  const labels = sortedLabels(input.labels);
  const existing = u.leases.get(node);
  const live = existing !== undefined && existing.endedAt === null;
  const lease = { id: node, addrs: input.addrs, labels, ttlSeconds, expiresAt, observedIp: input.observedIp };
  const ready = input.ready ?? true;
  let credential: string | undefined;

  if (principal.value.kind === "join" || !live) {
    if (live) return refuse({ kind: "lease-held", node, expiresAt: existing.expiresAt });
    if (u.leases.liveCount >= settings.maxNodes) return refuse({ kind: "cluster-full", maxNodes: settings.maxNodes });
    credential = join(u, principal.value, existing, lease, input.fresh, now, ready);
  } else {
    renew(u, existing, lease, now, ready);
  }
  if (input.reports) ingestReports(u, node, input.reports, now);
  if (input.consumers) {
    const state = u.leases.get(node)!;
    const update = consumerLoopUpdate(node, state.consumers, input.consumers, now);
    if (update) u.leases.setConsumers(state, update);
  }
  u.clock.lower(expiresAt);
  return done({
    created: !live,
    body: {
      node,
      ttlSeconds,
      expiresAt: new Date(expiresAt).toISOString(),
      renewAfterSeconds: renewAfterSeconds(ttlSeconds, u.options.random),
      version: meta.version,
      ...(credential ? { credential } : {}),
      // Only while the cluster restricts probing: an unrestricted renewal's answer stays as small as it was.
      ...(settings.probing === "off" || settings.probeRanges.length > 0 ? { probes: { probing: settings.probing, ranges: settings.probeRanges } } : {}),
    },
  });
}

/** A new lease: with a join token (and a fresh credential, which it returns), or a known node's own credential. */
function join(
  u: ClusterUnits,
  principal: Principal,
  existing: NodeState | undefined,
  lease: Omit<LeaseFields, "credentialHash">,
  fresh: RegisterInput["fresh"],
  now: number,
  ready: boolean,
) {
  return u.changes.record(now, (change) => {
    if (principal.kind === "join") {
      if (!fresh) throw new Error("register: a join-token registration needs a fresh credential");
      if (existing) u.credentials.unbind(existing.credentialHash);
      const state = startLease(u, change, { ...lease, credentialHash: fresh.hash }, now, ready);
      change.audit({ kind: "join-token", id: principal.token.id }, "node.join", lease.id, null, existing ? nodeSnapshot(existing) : null, nodeSnapshot(state));
      return fresh.credential;
    }
    const state = startLease(u, change, { ...lease, credentialHash: existing!.credentialHash }, now, ready);
    change.audit({ kind: "node", id: lease.id }, "node.join", lease.id, null, nodeSnapshot(existing!), nodeSnapshot(state));
    return undefined;
  });
}

/** A live lease renewed with the node's credential: only the expiry moves, or its content too. */
function renew(u: ClusterUnits, existing: NodeState, lease: Omit<LeaseFields, "credentialHash">, now: number, ready: boolean): void {
  // The restart grace (lease-holds.ts) relies on the stored TTL, and views on the stored IP: a
  // renewal that changes either is written at once. A plain one is never written.
  const plain = existing.ttlSeconds === lease.ttlSeconds && existing.observedIp === lease.observedIp;
  existing.ttlSeconds = lease.ttlSeconds;
  existing.expiresAt = lease.expiresAt;
  existing.lastRenewedAt = now;
  existing.observedIp = lease.observedIp;
  const contentKey = contentKeyOf(lease.addrs, lease.labels);
  if (contentKey === existing.contentKey) {
    if (plain) u.holds.renewedInMemory(existing);
    else u.leases.saveRenewal(existing);
    // Readiness moves the handout order; it is stored as a node fact, only when it flips.
    if (ready !== existing.ready) {
      u.changes.record(now, (change) => u.leases.setMarks(change, existing, { ready }));
      saveReadiness(u.leases.facts, existing.id, ready, now);
    }
    return;
  }
  u.changes.record(now, (change) => {
    const before = nodeSnapshot(existing);
    // Evidence about the old addresses says nothing about the new ones.
    clearReachability(u, existing.id);
    u.leases.replaceContent(change, existing, lease.addrs, lease.labels, contentKey);
    u.leases.setMarks(change, existing, { ready });
    saveReadiness(u.leases.facts, existing.id, ready, now);
    change.audit({ kind: "node", id: existing.id }, "node.update", existing.id, null, before, nodeSnapshot(existing));
  });
}

export function startLease(u: ClusterUnits, change: Change, fields: LeaseFields, now: number, ready = true): NodeState {
  // A new lease starts from nothing known: no evidence (its facts go in start), and readiness as it says now.
  clearReachability(u, fields.id);
  const state = u.leases.start(change, fields, now, ready);
  saveReadiness(u.leases.facts, fields.id, ready, now);
  u.credentials.bind(fields.credentialHash, fields.id);
  return state;
}

export function leave(u: ClusterUnits, input: NodeRequest): Result<null> {
  const found = liveRequester(u, input);
  if (!found.ok) return found;
  u.changes.record(input.now, (change) => {
    const before = nodeSnapshot(found.value);
    endLease(u, change, found.value, input.now);
    change.audit({ kind: "node", id: input.node }, "node.leave", input.node, null, before, null);
  });
  return done(null);
}

export function peers(u: ClusterUnits, input: PeersInput): Result<PeersAnswer> {
  const found = liveRequester(u, input, input.countRequest ?? true);
  if (!found.ok) return found;
  const version = u.meta!.version;
  if (input.holds?.(version)) return done({ version, body: null });
  const body = input.since === undefined ? u.handouts.full(input.node, input.limit) : u.handouts.delta(input.node, input.limit, input.since);
  return done({ version, body });
}

/** Whether an open watch may go on: its credential still belongs to the node, and it is not blocked. */
export function watchStanding(u: ClusterUnits, node: string, tokenHash: string): "ok" | "credential-gone" | "blocked" {
  if (u.credentials.ownerOf(tokenHash) !== node) return "credential-gone";
  return u.overrides.blockReason(node) !== null ? "blocked" : "ok";
}

function blockedOrLimited(u: ClusterUnits, node: string, now: number, countRequest: boolean): Result<never> | null {
  const reason = u.overrides.blockReason(node);
  if (reason !== null) return refuse({ kind: "blocked", node, reason });
  const limited = countRequest ? u.limits.take(node, now) : null;
  return limited ? refuse(limited) : null;
}

/** Authenticates a node credential for `input.node` and finds its live lease. */
export function liveRequester(u: ClusterUnits, input: NodeRequest, countRequest = true): Result<NodeState> {
  if (!u.meta) return refuse({ kind: "no-cluster" });
  expireIfDue(u, input.now);
  const principal = u.credentials.authenticate(input.node, input.tokenHash, input.now);
  if (!principal.ok) return principal;
  if (principal.value.kind === "join") return refuse({ kind: "join-token-cannot-renew" });
  const refused = blockedOrLimited(u, input.node, input.now, countRequest);
  if (refused) return refused;
  const state = u.leases.get(input.node);
  if (!state || state.endedAt !== null) return refuse({ kind: "not-registered", node: input.node });
  return done(state);
}
