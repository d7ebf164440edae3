/**
 * A cluster's SQLite rows as the export document (contract/export.ts) and back. Plain SQL over
 * the object's storage: the Durable Object runs `exportCluster` as a read and `importCluster`
 * inside one transaction on an empty schema, then rebuilds its core from what was written, as
 * after any restart (leases marked `behind` get the restart grace then).
 *
 * Not exported: the change log (an imported cluster gives deltas from its current version on;
 * older `since` values get a full handout) and what lives only in memory (reachability reports,
 * counters), which the agents rebuild within a probe interval.
 */
import { type ClusterExport, EXPORT_AUDIT_TAIL, EXPORT_FORMAT, EXPORT_VERSION, type ImportResult } from "../../contract/export.js";

type Row = Record<string, SqlStorageValue>;

const parse = <T>(text: SqlStorageValue): T | null => (text === null ? null : (JSON.parse(String(text)) as T));
const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

/** The export document of the cluster in `sql`, or null when it holds none. */
export function exportCluster(sql: SqlStorage, now: number): ClusterExport | null {
  const cluster = sql.exec<Row>("SELECT * FROM cluster WHERE id = 1").toArray()[0];
  if (!cluster) return null;
  const rows = (query: string, ...bindings: SqlStorageValue[]) => sql.exec<Row>(query, ...bindings).toArray();
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    cluster: String(cluster.name),
    exportedAt: new Date(now).toISOString(),
    settings: {
      createdAt: Number(cluster.created_at),
      version: Number(cluster.version),
      minTtlSeconds: Number(cluster.min_ttl_seconds),
      defaultTtlSeconds: Number(cluster.default_ttl_seconds),
      maxTtlSeconds: Number(cluster.max_ttl_seconds),
      maxNodes: Number(cluster.max_nodes),
      minIntervalSeconds: Number(cluster.min_interval_seconds),
      defaultLimit: cluster.default_limit === null ? null : Number(cluster.default_limit),
      addressPolicy: cluster.address_policy as "any" | "observed-ip",
      degraded: Boolean(cluster.degraded),
    },
    nodes: rows("SELECT * FROM nodes ORDER BY id").map((r) => ({
      id: String(r.id),
      credentialHash: String(r.credential_hash),
      addrs: parse<string[]>(r.addrs) ?? [],
      labels: parse<Record<string, string>>(r.labels) ?? {},
      ttlSeconds: Number(r.ttl_seconds),
      registeredAt: Number(r.registered_at),
      lastRenewedAt: Number(r.last_renewed_at),
      expiresAt: Number(r.expires_at),
      endedAt: r.ended_at === null ? null : Number(r.ended_at),
      observedIp: r.observed_ip === null ? null : String(r.observed_ip),
      behind: Boolean(r.behind),
    })),
    joinTokens: rows("SELECT * FROM join_tokens ORDER BY created_at, id").map((r) => ({
      id: String(r.id),
      tokenHash: String(r.token_hash),
      createdAt: Number(r.created_at),
      expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    })),
    overrides: rows("SELECT * FROM overrides ORDER BY node").map((r) => ({
      node: String(r.node),
      action: r.action as "pin" | "block" | "drain",
      addrs: parse<string[]>(r.addrs),
      labels: parse<Record<string, string>>(r.labels),
      reason: String(r.reason),
      createdAt: Number(r.created_at),
      expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    })),
    audit: rows("SELECT * FROM (SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?) ORDER BY seq", EXPORT_AUDIT_TAIL).map((r) => ({
      seq: Number(r.seq),
      at: Number(r.at),
      actorKind: String(r.actor_kind),
      actorId: String(r.actor_id),
      action: String(r.action),
      node: r.node === null ? null : String(r.node),
      reason: r.reason === null ? null : String(r.reason),
      before: r.before === null ? null : String(r.before),
      after: r.after === null ? null : String(r.after),
    })),
  };
}

/** Whether the cluster in `sql` holds anything an import would overwrite: a node or an override. */
export function holdsState(sql: SqlStorage): boolean {
  return sql.exec("SELECT 1 FROM nodes UNION ALL SELECT 1 FROM overrides LIMIT 1").toArray().length > 0;
}

/**
 * Writes `doc` into freshly migrated storage (no cluster row yet); the caller runs it in one
 * transaction. The change log starts at the imported version.
 */
export function importCluster(sql: SqlStorage, doc: ClusterExport): ImportResult {
  const s = doc.settings;
  sql.exec(
    `INSERT INTO cluster (id, name, created_at, version, min_ttl_seconds, default_ttl_seconds, max_ttl_seconds, max_nodes,
       min_interval_seconds, default_limit, changelog_floor, degraded, address_policy)
     VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    doc.cluster,
    s.createdAt,
    s.version,
    s.minTtlSeconds,
    s.defaultTtlSeconds,
    s.maxTtlSeconds,
    s.maxNodes,
    s.minIntervalSeconds,
    s.defaultLimit,
    s.version,
    s.degraded ? 1 : 0,
    s.addressPolicy,
  );
  for (const n of doc.nodes) {
    sql.exec(
      `INSERT INTO nodes (id, credential_hash, addrs, labels, ttl_seconds, registered_at, last_renewed_at, expires_at, ended_at, observed_ip, behind)
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
  for (const t of doc.joinTokens) sql.exec("INSERT INTO join_tokens (id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)", t.id, t.tokenHash, t.createdAt, t.expiresAt);
  for (const o of doc.overrides) {
    sql.exec(
      "INSERT INTO overrides (node, action, addrs, labels, reason, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      o.node,
      o.action,
      json(o.addrs),
      json(o.labels),
      o.reason,
      o.createdAt,
      o.expiresAt,
    );
  }
  for (const a of doc.audit) {
    sql.exec(
      "INSERT INTO audit_log (seq, at, actor_kind, actor_id, action, node, reason, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      a.seq,
      a.at,
      a.actorKind,
      a.actorId,
      a.action,
      a.node,
      a.reason,
      a.before,
      a.after,
    );
  }
  return { cluster: doc.cluster, nodes: doc.nodes.length, joinTokens: doc.joinTokens.length, overrides: doc.overrides.length, audit: doc.audit.length };
}
