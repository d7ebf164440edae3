/**
 * What the cluster persists, and what it is rebuilt from: the store interface every unit writes
 * through (each call one statement, collected by the Durable Object into one transaction) and
 * the snapshot a restarted object loads.
 */
import type { ChangeRecord } from "./changelog.js";
import type { NodeFactRecord } from "./node-facts.js";
import type { AuditRecord, ClusterMeta, ClusterSettings, JoinTokenRecord, NodeRecord, OverrideRecord } from "./records.js";

/** Persistence of every change the core makes; each call is one statement in the same turn. */
export interface DirectoryStore {
  insertCluster(meta: ClusterMeta): void;
  saveVersion(version: number): void;
  saveSettings(settings: ClusterSettings): void;
  insertJoinToken(token: JoinTokenRecord): void;
  deleteJoinToken(id: string): void;
  /** Insert or replace the whole row. */
  saveNode(node: NodeRecord): void;
  /** Only the lease fields (TTL, expiry, last renewal, observed IP). */
  saveRenewal(node: NodeRecord): void;
  /** Whether the lease's stored expiry may be behind its real one (lease-holds.ts). */
  saveBehind(id: string, behind: boolean): void;
  saveLeaseEnd(id: string, endedAt: number): void;
  deleteNode(id: string): void;
  saveOverride(override: OverrideRecord): void;
  deleteOverride(node: string): void;
  insertAudit(entry: AuditRecord): void;
  pruneAudit(upToSeq: number): void;
  /** Newest first, entries with seq below `beforeSeq` (all when null). */
  readAudit(limit: number, beforeSeq: number | null, filter?: AuditFilter): AuditRecord[];
  insertChange(change: ChangeRecord): void;
  /** Forgets the change log up to and including `upToVersion`, which becomes the floor. */
  pruneChanges(upToVersion: number): void;
  saveDegraded(degraded: boolean): void;
  /** Insert or replace one node fact (node-facts.ts). */
  saveNodeFact(fact: NodeFactRecord): void;
  deleteNodeFact(node: string, name: string): void;
  /** Every fact of one node. */
  deleteNodeFacts(node: string): void;
  /** Insert or replace a node's consumer-loop state (consumer-loops.ts). */
  saveConsumerLoop(record: ConsumerLoopRecord): void;
  deleteConsumerLoop(node: string): void;
}

/** What a node's agent last said of its local consumers; `since`: when that state began (ms). */
export interface ConsumerLoopRecord {
  node: string;
  looping: boolean;
  requestsPerMinute: number;
  endpoint: string | null;
  since: number;
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
  /** Readiness, reachability evidence and the like, stored only as they change (node-facts.ts). */
  facts: NodeFactRecord[];
  consumerLoops: ConsumerLoopRecord[];
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
  facts: [],
  consumerLoops: [],
};

/** Audit entries of one action, one node and/or one actor only. */
export interface AuditFilter {
  action?: string;
  node?: string;
  /** The actor's id: an admin token's name (`root` for the ADMIN_TOKEN), a node id, a join token id, `alarm`. */
  actor?: string;
}

export interface CoreOptions {
  /** Token bucket size per node; the refill rate is the cluster's minIntervalSeconds. */
  rateBurst: number;
  /** How long a node credential outlives its lease, so a restarted agent can renew with it. */
  credentialRetentionMs: number;
  random: () => number;
  /** How long a reachability report counts (reachability.ts); default REACHABILITY_WINDOW_MS. */
  reachabilityWindowMs?: number;
  /** Told every audited action as it happens (the object's metrics count membership events). */
  onAudit?: (action: string) => void;
  /**
   * Told the hash of every join token and node credential the cluster takes away (revoked,
   * replaced, retired with an evicted node) as it happens, so the edge can refuse it
   * too. The operation may still roll back: act on these only once it committed.
   */
  onTokenRetired?: (hash: string) => void;
}

export const DEFAULT_CORE_OPTIONS: CoreOptions = {
  rateBurst: 10,
  credentialRetentionMs: 7 * 24 * 3600 * 1000,
  random: Math.random,
};
