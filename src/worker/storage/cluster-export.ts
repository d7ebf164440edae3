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
import type { ActorKind } from "../../cluster/records.js";
import { type ClusterExport, EXPORT_AUDIT_TAIL, EXPORT_FORMAT, EXPORT_VERSION, type ImportResult } from "../../contract/export.js";
import { applyMigrations } from "./migrations.js";
import { SqlStore } from "./sql-store.js";

type Row = Record<string, SqlStorageValue>;

const parse = <T>(text: SqlStorageValue): T | null => (text === null ? null : (JSON.parse(String(text)) as T));

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
      probing: cluster.probing === "off" ? "off" : "on",
      probeRanges: parse<string[]>(cluster.probe_ranges) ?? [],
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
 * Writes `doc` into freshly migrated storage (no cluster row yet) with the store's own writes;
 * the caller runs it in one transaction. The change log starts at the imported version.
 */
export function importCluster(sql: SqlStorage, doc: ClusterExport): ImportResult {
  const store = new SqlStore(sql);
  const { createdAt, version, degraded, ...settings } = doc.settings;
  store.insertCluster({ name: doc.cluster, createdAt, version, settings });
  sql.exec("UPDATE cluster SET changelog_floor = ?, degraded = ? WHERE id = 1", version, degraded ? 1 : 0);
  for (const node of doc.nodes) store.saveNode(node);
  for (const t of doc.joinTokens) store.insertJoinToken({ id: t.id, hash: t.tokenHash, createdAt: t.createdAt, expiresAt: t.expiresAt });
  for (const override of doc.overrides) store.saveOverride(override);
  for (const a of doc.audit) {
    const { actorKind, actorId, before, after, ...entry } = a;
    store.insertAudit({ ...entry, actor: { kind: actorKind as ActorKind, id: actorId }, before: parse(before), after: parse(after) });
  }
  return { cluster: doc.cluster, nodes: doc.nodes.length, joinTokens: doc.joinTokens.length, overrides: doc.overrides.length, audit: doc.audit.length };
}

/**
 * Replaces whatever `storage` holds with `doc`: emptied, migrated, then loaded in one
 * transaction. Returns what was loaded, or why the document could not be (storage is then left
 * migrated and empty).
 */
export async function replaceWithImport(storage: DurableObjectStorage, doc: ClusterExport): Promise<ImportResult | string> {
  await storage.deleteAll();
  applyMigrations(storage);
  try {
    return storage.transactionSync(() => importCluster(storage.sql, doc));
  } catch (err) {
    return (err as Error).message;
  }
}
