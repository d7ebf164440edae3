/**
 * The SQLite side of a cluster: loading a snapshot at start-up and writing each change.
 * Every write method is one statement (two for pruneChanges), so the core's writes stay cheap
 * and obvious; inside the Durable Object's `#atomically` they are collected first, then applied in
 * one transaction.
 */
import type { ChangeRecord } from "../../cluster/changelog.js";
import type { AuditFilter, DirectoryStore, Snapshot } from "../../cluster/cluster-core.js";
import type { ConsumerLoopRecord } from "../../cluster/store.js";
import type { NodeFactRecord } from "../../cluster/node-facts.js";
import type { ActorKind, AddressPolicy, AuditRecord, ClusterMeta, ClusterSettings, JoinTokenRecord, NodeRecord, OverrideAction, OverrideRecord } from "../../cluster/records.js";

interface ClusterRow {
  name: string;
  created_at: number;
  version: number;
  min_ttl_seconds: number;
  default_ttl_seconds: number;
  max_ttl_seconds: number;
  max_nodes: number;
  min_interval_seconds: number;
  default_limit: number | null;
  changelog_floor: number;
  degraded: number;
  address_policy: AddressPolicy;
  [key: string]: SqlStorageValue;
}

interface ChangeRow {
  version: number;
  node: string;
  was_present: number;
  was_zone: string | null;
  at: number;
  [key: string]: SqlStorageValue;
}

interface OverrideRow {
  node: string;
  action: OverrideAction;
  addrs: string | null;
  labels: string | null;
  reason: string;
  created_at: number;
  expires_at: number | null;
  [key: string]: SqlStorageValue;
}

interface AuditRow {
  seq: number;
  at: number;
  actor_kind: ActorKind;
  actor_id: string;
  action: string;
  node: string | null;
  reason: string | null;
  before: string | null;
  after: string | null;
  [key: string]: SqlStorageValue;
}

/** Each cluster setting's column, in one place for loading, inserting and updating; list-valued ones are stored as JSON. */
const SETTINGS_COLUMNS: readonly (readonly [column: string, key: keyof ClusterSettings, asJson?: true])[] = [
  ["min_ttl_seconds", "minTtlSeconds"],
  ["default_ttl_seconds", "defaultTtlSeconds"],
  ["max_ttl_seconds", "maxTtlSeconds"],
  ["max_nodes", "maxNodes"],
  ["min_interval_seconds", "minIntervalSeconds"],
  ["default_limit", "defaultLimit"],
  ["address_policy", "addressPolicy"],
  ["probing", "probing"],
  ["probe_ranges", "probeRanges", true],
];

const settingsValues = (settings: ClusterSettings) => SETTINGS_COLUMNS.map(([, key, asJson]) => (asJson ? JSON.stringify(settings[key]) : settings[key]) as SqlStorageValue);

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

interface NodeRow {
  id: string;
  credential_hash: string;
  addrs: string;
  labels: string;
  ttl_seconds: number;
  registered_at: number;
  last_renewed_at: number;
  expires_at: number;
  ended_at: number | null;
  observed_ip: string | null;
  behind: number;
  [key: string]: SqlStorageValue;
}

interface ConsumerLoopRow {
  node: string;
  looping: number;
  requests_per_minute: number;
  endpoint: string | null;
  since: number;
  [key: string]: SqlStorageValue;
}

interface NodeFactRow {
  node: string;
  name: string;
  value: string;
  at: number;
  [key: string]: SqlStorageValue;
}

interface JoinTokenRow {
  id: string;
  token_hash: string;
  created_at: number;
  expires_at: number | null;
  [key: string]: SqlStorageValue;
}

/** A write held back by `collectWrites`: the statement and its bindings. */
export type PendingWrite = readonly [query: string, bindings: SqlStorageValue[]];

export class SqlStore implements DirectoryStore {
  /** Set while `collectWrites` runs: writes wait here instead of reaching SQLite. */
  #pending: PendingWrite[] | null = null;

  constructor(private readonly sql: SqlStorage) {}

  #write(query: string, ...bindings: SqlStorageValue[]): void {
    if (this.#pending) this.#pending.push([query, bindings]);
    else this.sql.exec(query, ...bindings);
  }

  /**
   * Runs `operation` with its writes held back, and returns them for `applyWrites`. The caller
   * then opens a transaction only when there is something to write (a plain renewal has
   * nothing), and an operation that throws half-way has written nothing at all.
   */
  collectWrites<T>(operation: () => T): { result: T; writes: PendingWrite[] } {
    const writes: PendingWrite[] = [];
    this.#pending = writes;
    try {
      return { result: operation(), writes };
    } finally {
      this.#pending = null;
    }
  }

  applyWrites(writes: readonly PendingWrite[]): void {
    for (const [query, bindings] of writes) this.sql.exec(query, ...bindings);
  }

  load(): Snapshot {
    const cluster = this.sql.exec<ClusterRow>("SELECT * FROM cluster WHERE id = 1").toArray()[0];
    const meta: ClusterMeta | null = cluster
      ? {
          name: cluster.name,
          createdAt: cluster.created_at,
          version: cluster.version,
          settings: Object.fromEntries(
            SETTINGS_COLUMNS.map(([column, key, asJson]) => [key, asJson ? JSON.parse(cluster[column] as string) : cluster[column]]),
          ) as unknown as ClusterSettings,
        }
      : null;
    const nodes: NodeRecord[] = this.sql
      .exec<NodeRow>("SELECT * FROM nodes")
      .toArray()
      .map((row) => ({
        id: row.id,
        credentialHash: row.credential_hash,
        addrs: JSON.parse(row.addrs) as string[],
        labels: JSON.parse(row.labels) as Record<string, string>,
        ttlSeconds: row.ttl_seconds,
        registeredAt: row.registered_at,
        lastRenewedAt: row.last_renewed_at,
        expiresAt: row.expires_at,
        endedAt: row.ended_at,
        observedIp: row.observed_ip,
        behind: row.behind === 1,
      }));
    const joinTokens: JoinTokenRecord[] = this.sql
      .exec<JoinTokenRow>("SELECT * FROM join_tokens")
      .toArray()
      .map((row) => ({ id: row.id, hash: row.token_hash, createdAt: row.created_at, expiresAt: row.expires_at }));
    const overrides: OverrideRecord[] = this.sql
      .exec<OverrideRow>("SELECT * FROM overrides")
      .toArray()
      .map((row) => ({
        node: row.node,
        action: row.action,
        addrs: parse<string[]>(row.addrs),
        labels: parse<Record<string, string>>(row.labels),
        reason: row.reason,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      }));
    const lastAuditSeq = this.sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM audit_log").one().seq ?? 0;
    const changes: ChangeRecord[] = this.sql
      .exec<ChangeRow>("SELECT * FROM changelog ORDER BY version, node")
      .toArray()
      .map((row) => ({ version: row.version, node: row.node, wasPresent: row.was_present === 1, wasZone: row.was_zone, at: row.at }));
    const facts: NodeFactRecord[] = this.sql
      .exec<NodeFactRow>("SELECT node, name, value, at FROM node_facts")
      .toArray()
      .map((row) => ({ node: row.node, name: row.name, value: row.value, at: row.at }));
    return {
      meta,
      nodes,
      facts,
      joinTokens,
      overrides,
      lastAuditSeq,
      changes,
      changelogFloor: cluster?.changelog_floor ?? 0,
      degraded: cluster?.degraded === 1,
      consumerLoops: this.sql
        .exec<ConsumerLoopRow>("SELECT * FROM node_consumer_loops")
        .toArray()
        .map((row) => ({ node: row.node, looping: row.looping === 1, requestsPerMinute: row.requests_per_minute, endpoint: row.endpoint, since: row.since })),
    };
  }

  saveConsumerLoop(r: ConsumerLoopRecord): void {
    this.#write(
      "INSERT OR REPLACE INTO node_consumer_loops (node, looping, requests_per_minute, endpoint, since) VALUES (?, ?, ?, ?, ?)",
      r.node,
      r.looping ? 1 : 0,
      r.requestsPerMinute,
      r.endpoint,
      r.since,
    );
  }

  deleteConsumerLoop(node: string): void {
    this.#write("DELETE FROM node_consumer_loops WHERE node = ?", node);
  }

  insertCluster(meta: ClusterMeta): void {
    this.#write(
      `INSERT INTO cluster (id, name, created_at, version, ${SETTINGS_COLUMNS.map(([column]) => column).join(", ")})
       VALUES (1, ?, ?, ?, ${SETTINGS_COLUMNS.map(() => "?").join(", ")})`,
      meta.name,
      meta.createdAt,
      meta.version,
      ...settingsValues(meta.settings),
    );
  }

  saveSettings(settings: ClusterSettings): void {
    this.#write(`UPDATE cluster SET ${SETTINGS_COLUMNS.map(([column]) => `${column} = ?`).join(", ")} WHERE id = 1`, ...settingsValues(settings));
  }

  deleteJoinToken(id: string): void {
    this.#write("DELETE FROM join_tokens WHERE id = ?", id);
  }

  saveOverride(o: OverrideRecord): void {
    this.#write(
      "INSERT OR REPLACE INTO overrides (node, action, addrs, labels, reason, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      o.node,
      o.action,
      json(o.addrs),
      json(o.labels),
      o.reason,
      o.createdAt,
      o.expiresAt,
    );
  }

  deleteOverride(node: string): void {
    this.#write("DELETE FROM overrides WHERE node = ?", node);
  }

  insertAudit(e: AuditRecord): void {
    this.#write(
      "INSERT INTO audit_log (seq, at, actor_kind, actor_id, action, node, reason, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      e.seq,
      e.at,
      e.actor.kind,
      e.actor.id,
      e.action,
      e.node,
      e.reason,
      json(e.before),
      json(e.after),
    );
  }

  insertChange(c: ChangeRecord): void {
    this.#write("INSERT OR REPLACE INTO changelog (version, node, was_present, was_zone, at) VALUES (?, ?, ?, ?, ?)", c.version, c.node, c.wasPresent ? 1 : 0, c.wasZone, c.at);
  }

  pruneChanges(upToVersion: number): void {
    this.#write("DELETE FROM changelog WHERE version <= ?", upToVersion);
    this.#write("UPDATE cluster SET changelog_floor = ? WHERE id = 1", upToVersion);
  }

  saveDegraded(degraded: boolean): void {
    this.#write("UPDATE cluster SET degraded = ? WHERE id = 1", degraded ? 1 : 0);
  }

  pruneAudit(upToSeq: number): void {
    this.#write("DELETE FROM audit_log WHERE seq <= ?", upToSeq);
  }

  readAudit(limit: number, beforeSeq: number | null, filter: AuditFilter = {}): AuditRecord[] {
    const action = filter.action ?? null;
    const node = filter.node ?? null;
    const actor = filter.actor ?? null;
    return this.sql
      .exec<AuditRow>(
        "SELECT * FROM audit_log WHERE seq < ? AND (? IS NULL OR action = ?) AND (? IS NULL OR node = ?) AND (? IS NULL OR actor_id = ?) ORDER BY seq DESC LIMIT ?",
        beforeSeq ?? Number.MAX_SAFE_INTEGER,
        action,
        action,
        node,
        node,
        actor,
        actor,
        limit,
      )
      .toArray()
      .map((row) => ({
        seq: row.seq,
        at: row.at,
        actor: { kind: row.actor_kind, id: row.actor_id },
        action: row.action,
        node: row.node,
        reason: row.reason,
        before: parse(row.before),
        after: parse(row.after),
      }));
  }

  saveVersion(version: number): void {
    this.#write("UPDATE cluster SET version = ? WHERE id = 1", version);
  }

  insertJoinToken(token: JoinTokenRecord): void {
    this.#write("INSERT INTO join_tokens (id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)", token.id, token.hash, token.createdAt, token.expiresAt);
  }

  saveNode(n: NodeRecord): void {
    this.#write(
      `INSERT OR REPLACE INTO nodes
         (id, credential_hash, addrs, labels, ttl_seconds, registered_at, last_renewed_at, expires_at, ended_at, observed_ip, behind)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      n.id,
      n.credentialHash,
      JSON.stringify(n.addrs),
      JSON.stringify(n.labels),
      n.ttlSeconds,
      n.registeredAt,
      n.lastRenewedAt,
      n.expiresAt,
      n.endedAt,
      n.observedIp,
      n.behind ? 1 : 0,
    );
  }

  saveRenewal(n: NodeRecord): void {
    this.#write(
      "UPDATE nodes SET ttl_seconds = ?, last_renewed_at = ?, expires_at = ?, observed_ip = ? WHERE id = ?",
      n.ttlSeconds,
      n.lastRenewedAt,
      n.expiresAt,
      n.observedIp,
      n.id,
    );
  }

  saveBehind(id: string, behind: boolean): void {
    this.#write("UPDATE nodes SET behind = ? WHERE id = ?", behind ? 1 : 0, id);
  }

  saveLeaseEnd(id: string, endedAt: number): void {
    this.#write("UPDATE nodes SET ended_at = ? WHERE id = ?", endedAt, id);
  }

  deleteNode(id: string): void {
    this.#write("DELETE FROM nodes WHERE id = ?", id);
  }

  saveNodeFact(f: NodeFactRecord): void {
    this.#write("INSERT OR REPLACE INTO node_facts (node, name, value, at) VALUES (?, ?, ?, ?)", f.node, f.name, f.value, f.at);
  }

  deleteNodeFact(node: string, name: string): void {
    this.#write("DELETE FROM node_facts WHERE node = ? AND name = ?", node, name);
  }

  deleteNodeFacts(node: string): void {
    this.#write("DELETE FROM node_facts WHERE node = ?", node);
  }
}
