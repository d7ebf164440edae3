/**
 * One cluster's directory as a plain state machine: leases, credentials, versions, handouts.
 *
 * Everything here is synchronous and runtime-free, so unit tests drive it with a fake clock and
 * an in-memory store, and the Durable Object stays a thin adapter. State lives in memory (the
 * object's single-threaded instance) and is written through to a `DirectoryStore` in the same
 * synchronous turn, so SQLite commits each operation atomically and a restarted object rebuilds
 * exactly this state from it.
 *
 * Hot paths are cheap on purpose: a renewal with unchanged addresses writes one row and no
 * version; a handout whose ETag matches is answered from memory without SQL; handout bodies are
 * joined from per-peer JSON fragments serialised once per change and cached per requester.
 */
import { fail, ok, type Outcome, problem, UNAUTHORIZED_HEADERS } from "../problem.js";
import { grantTtl, renewAfterSeconds } from "./leases.js";
import { DEFAULT_RATE_LIMIT, type RateLimit, TokenBuckets } from "./rate-limit.js";
import {
  type ClusterMeta,
  DEFAULT_MAX_NODES,
  type JoinTokenRecord,
  type NodeRecord,
  peerJson,
  sortedLabels,
} from "./records.js";
import { DEFAULT_TTL_BOUNDS } from "./leases.js";
import { rendezvousPick } from "./rendezvous.js";

/** Persistence of every change the core makes; each call is one write in the same turn. */
export interface DirectoryStore {
  insertCluster(meta: ClusterMeta): void;
  saveVersion(version: number): void;
  insertJoinToken(token: JoinTokenRecord): void;
  /** Insert or replace the whole row. */
  saveNode(node: NodeRecord): void;
  /** Only the fields a plain renewal changes. */
  saveRenewal(node: NodeRecord): void;
  saveLeaseEnd(id: string, endedAt: number): void;
  deleteNode(id: string): void;
}

export interface Snapshot {
  meta: ClusterMeta | null;
  nodes: NodeRecord[];
  joinTokens: JoinTokenRecord[];
}

export interface CoreOptions {
  rateLimit: RateLimit;
  /** How long a node credential outlives its lease, so a restarted agent can renew with it. */
  credentialRetentionMs: number;
  random: () => number;
}

export const DEFAULT_CORE_OPTIONS: CoreOptions = {
  rateLimit: DEFAULT_RATE_LIMIT,
  credentialRetentionMs: 7 * 24 * 3600 * 1000,
  random: Math.random,
};

export interface RegisterInput {
  cluster: string;
  node: string;
  tokenHash: string;
  addrs: string[];
  labels?: Record<string, string>;
  ttlSeconds?: number;
  observedIp: string | null;
  now: number;
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

export interface NodeRequest {
  cluster: string;
  node: string;
  tokenHash: string;
  now: number;
}

export interface PeersInput extends NodeRequest {
  limit?: number;
  ifNoneMatch?: string | null;
}

export type PeersResult = { status: 304; etag: string } | { status: 200; etag: string; body: string };

interface NodeState extends NodeRecord {
  /** This node as a handout entry, serialised once per change. */
  json: string;
  /** addrs + labels, to tell a renewal that changes them from one that does not. */
  contentKey: string;
}

type Principal = { kind: "join" } | { kind: "node" };

const BODY_CACHE_CHARS = 8 * 1024 * 1024;

function contentKeyOf(addrs: string[], labels: Record<string, string>): string {
  return JSON.stringify([addrs, labels]);
}

function toState(record: NodeRecord): NodeState {
  return { ...record, json: peerJson(record), contentKey: contentKeyOf(record.addrs, record.labels) };
}

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
  readonly #buckets: TokenBuckets;
  #liveCount = 0;
  /** A lower bound on the next time anything is due (expiry or credential cleanup); exact after a scan. */
  #wakeAt: number | null = null;
  #sortedLive: NodeState[] | null = null;
  readonly #bodies = new Map<string, string>();
  #bodyChars = 0;

  constructor(
    private readonly store: DirectoryStore,
    snapshot: Snapshot,
    private readonly options: CoreOptions = DEFAULT_CORE_OPTIONS,
  ) {
    this.#meta = snapshot.meta;
    this.#buckets = new TokenBuckets(options.rateLimit);
    for (const token of snapshot.joinTokens) this.#joinTokens.set(token.hash, token);
    for (const record of snapshot.nodes) {
      const state = toState(record);
      this.#nodes.set(state.id, state);
      this.#byCredential.set(state.credentialHash, state.id);
      if (state.endedAt === null) this.#liveCount++;
    }
    this.#recomputeWakeAt();
  }

  get exists(): boolean {
    return this.#meta !== null;
  }

  get version(): number {
    return this.#meta?.version ?? 0;
  }

  /** Whether `tokenHash` is one of this cluster's join tokens (expired ones included). */
  isJoinToken(tokenHash: string): boolean {
    return this.#joinTokens.has(tokenHash);
  }

  get liveCount(): number {
    return this.#liveCount;
  }

  /** When the object next has work to do (for the alarm), or null when nothing is pending. */
  get wakeAt(): number | null {
    return this.#wakeAt;
  }

  createCluster(name: string, now: number, joinToken: JoinTokenRecord): Outcome<ClusterMeta> {
    if (this.#meta) return fail(problem("conflict", `cluster "${name}" already exists; pick another name or delete it first`));
    const meta: ClusterMeta = {
      name,
      createdAt: now,
      version: 1,
      settings: { ...DEFAULT_TTL_BOUNDS, maxNodes: DEFAULT_MAX_NODES },
    };
    this.store.insertCluster(meta);
    this.store.insertJoinToken(joinToken);
    this.#meta = meta;
    this.#joinTokens.set(joinToken.hash, joinToken);
    return ok(meta);
  }

  register(input: RegisterInput): Outcome<RegisterResult> {
    const meta = this.#meta;
    if (!meta) return fail(notFoundCluster(input.cluster));
    this.#expireIfDue(input.now);
    const principal = this.#authenticate(input);
    if (!principal.ok) return principal;
    const limited = this.#rateLimit(input.node, input.now);
    if (limited) return limited;

    const { node, now } = input;
    const settings = meta.settings;
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
              `Renew with the node's credential, have the node leave, or wait until the lease expires at ${new Date(existing.expiresAt).toISOString()}.`,
          ),
        );
      }
      if (!input.fresh) throw new Error("register: a join-token registration needs a fresh credential");
      if (this.#liveCount >= settings.maxNodes) return fail(clusterFull(meta));
      if (existing) this.#byCredential.delete(existing.credentialHash);
      credential = input.fresh.credential;
      this.#startLease(node, input.fresh.hash, input.addrs, labels, ttlSeconds, expiresAt, input.observedIp, now);
    } else if (!live) {
      if (this.#liveCount >= settings.maxNodes) return fail(clusterFull(meta));
      this.#startLease(node, existing!.credentialHash, input.addrs, labels, ttlSeconds, expiresAt, input.observedIp, now);
    } else {
      created = false;
      existing.ttlSeconds = ttlSeconds;
      existing.expiresAt = expiresAt;
      existing.lastRenewedAt = now;
      existing.observedIp = input.observedIp;
      const contentKey = contentKeyOf(input.addrs, labels);
      if (contentKey === existing.contentKey) {
        this.store.saveRenewal(existing);
      } else {
        existing.addrs = input.addrs;
        existing.labels = labels;
        existing.contentKey = contentKey;
        existing.json = peerJson(existing);
        this.store.saveNode(existing);
        this.#bump();
      }
    }
    this.#lowerWakeAt(expiresAt);
    return ok({
      created,
      body: {
        node,
        ttlSeconds,
        expiresAt: new Date(expiresAt).toISOString(),
        renewAfterSeconds: renewAfterSeconds(ttlSeconds, this.options.random),
        version: meta.version,
        ...(credential ? { credential } : {}),
      },
    });
  }

  leave(input: NodeRequest): Outcome<null> {
    const found = this.#liveRequester(input);
    if (!found.ok) return found;
    this.#endLease(found.value, input.now);
    this.#bump();
    return ok(null);
  }

  peers(input: PeersInput): Outcome<PeersResult> {
    const found = this.#liveRequester(input);
    if (!found.ok) return found;
    const etag = `"${this.#meta!.version}"`;
    if (etagMatches(input.ifNoneMatch, etag)) return ok({ status: 304, etag });
    return ok({ status: 200, etag, body: this.#handoutBody(input.node, input.limit) });
  }

  /**
   * Ends every lease that has run out and forgets credentials past their retention.
   * Idempotent: a second run at the same time finds nothing to do. Returns how many leases ended.
   */
  expireDue(now: number): number {
    let ended = 0;
    for (const state of this.#nodes.values()) {
      if (state.endedAt === null) {
        if (state.expiresAt <= now) {
          this.#endLease(state, now);
          ended++;
        }
      } else if (state.endedAt + this.options.credentialRetentionMs <= now) {
        this.#nodes.delete(state.id);
        this.#byCredential.delete(state.credentialHash);
        this.#buckets.forget(state.id);
        this.store.deleteNode(state.id);
      }
    }
    if (ended > 0) this.#bump();
    this.#recomputeWakeAt();
    return ended;
  }

  #expireIfDue(now: number): void {
    if (this.#wakeAt !== null && now >= this.#wakeAt) this.expireDue(now);
  }

  #authenticate(input: NodeRequest): Outcome<Principal> {
    const token = this.#joinTokens.get(input.tokenHash);
    if (token) {
      if (token.expiresAt !== null && input.now >= token.expiresAt) {
        return fail(problem("unauthorized", "this join token has expired; ask an operator for a new one", { headers: UNAUTHORIZED_HEADERS }));
      }
      return ok({ kind: "join" });
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

  /** Authenticates a node credential for `input.node` and finds its live lease. */
  #liveRequester(input: NodeRequest): Outcome<NodeState> {
    if (!this.#meta) return fail(notFoundCluster(input.cluster));
    this.#expireIfDue(input.now);
    const principal = this.#authenticate(input);
    if (!principal.ok) return principal;
    if (principal.value.kind === "join") {
      return fail(problem("forbidden", "a join token can only register a node (PUT); use the node credential that registration returned"));
    }
    const limited = this.#rateLimit(input.node, input.now);
    if (limited) return limited;
    const state = this.#nodes.get(input.node);
    if (!state || state.endedAt !== null) {
      return fail(problem("not-found", `node "${input.node}" has no live lease in cluster "${input.cluster}"; register it again with PUT`));
    }
    return ok(state);
  }

  #rateLimit(node: string, now: number): Outcome<never> | null {
    const retryAfter = this.#buckets.take(node, now);
    if (retryAfter === 0) return null;
    const { burst, perSecond } = this.options.rateLimit;
    return fail(
      problem("rate-limited", `node "${node}" is over its rate limit (bursts of ${burst}, ${perSecond} request/s sustained); retry after ${retryAfter} s`, {
        headers: { "Retry-After": String(retryAfter) },
      }),
    );
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
  ): void {
    const state = toState({
      id,
      credentialHash,
      addrs,
      labels,
      ttlSeconds,
      registeredAt: now,
      lastRenewedAt: now,
      expiresAt,
      endedAt: null,
      observedIp,
    });
    this.#nodes.set(id, state);
    this.#byCredential.set(credentialHash, id);
    this.#liveCount++;
    this.store.saveNode(state);
    this.#bump();
  }

  #endLease(state: NodeState, now: number): void {
    state.endedAt = now;
    this.#liveCount--;
    this.store.saveLeaseEnd(state.id, now);
    this.#lowerWakeAt(now + this.options.credentialRetentionMs);
  }

  #bump(): void {
    const meta = this.#meta!;
    meta.version++;
    this.store.saveVersion(meta.version);
    this.#sortedLive = null;
    this.#bodies.clear();
    this.#bodyChars = 0;
  }

  #lowerWakeAt(at: number): void {
    if (this.#wakeAt === null || at < this.#wakeAt) this.#wakeAt = at;
  }

  #recomputeWakeAt(): void {
    let next: number | null = null;
    for (const state of this.#nodes.values()) {
      const due = state.endedAt === null ? state.expiresAt : state.endedAt + this.options.credentialRetentionMs;
      if (next === null || due < next) next = due;
    }
    this.#wakeAt = next;
  }

  #handoutBody(requester: string, limit: number | undefined): string {
    const key = limit === undefined ? requester : `${requester}\n${limit}`;
    const cached = this.#bodies.get(key);
    if (cached !== undefined) return cached;

    this.#sortedLive ??= [...this.#nodes.values()].filter((s) => s.endedAt === null).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const candidates = this.#sortedLive.filter((s) => s.id !== requester);
    const chosen = limit === undefined ? candidates : rendezvousPick(requester, candidates, limit, (s) => s.id);
    let body = `{"version":${this.#meta!.version},"peers":[`;
    for (let i = 0; i < chosen.length; i++) body += (i ? "," : "") + chosen[i].json;
    body += "]}";

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
