/**
 * The SQLite side of a cluster: loading a snapshot at start-up and writing each change.
 * Every method is one statement, so the core's write-through stays cheap and obvious.
 */
import type { DirectoryStore, Snapshot } from "./cluster-core.js";
import type { ClusterMeta, JoinTokenRecord, NodeRecord } from "./records.js";

interface ClusterRow {
  name: string;
  created_at: number;
  version: number;
  min_ttl_seconds: number;
  default_ttl_seconds: number;
  max_ttl_seconds: number;
  max_nodes: number;
  [key: string]: SqlStorageValue;
}

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
  [key: string]: SqlStorageValue;
}

interface JoinTokenRow {
  id: string;
  token_hash: string;
  created_at: number;
  expires_at: number | null;
  [key: string]: SqlStorageValue;
}

export class SqlStore implements DirectoryStore {
  constructor(private readonly sql: SqlStorage) {}

  load(): Snapshot {
    const cluster = this.sql.exec<ClusterRow>("SELECT * FROM cluster WHERE id = 1").toArray()[0];
    const meta: ClusterMeta | null = cluster
      ? {
          name: cluster.name,
          createdAt: cluster.created_at,
          version: cluster.version,
          settings: {
            minTtlSeconds: cluster.min_ttl_seconds,
            defaultTtlSeconds: cluster.default_ttl_seconds,
            maxTtlSeconds: cluster.max_ttl_seconds,
            maxNodes: cluster.max_nodes,
          },
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
      }));
    const joinTokens: JoinTokenRecord[] = this.sql
      .exec<JoinTokenRow>("SELECT * FROM join_tokens")
      .toArray()
      .map((row) => ({ id: row.id, hash: row.token_hash, createdAt: row.created_at, expiresAt: row.expires_at }));
    return { meta, nodes, joinTokens };
  }

  insertCluster(meta: ClusterMeta): void {
    const s = meta.settings;
    this.sql.exec(
      `INSERT INTO cluster (id, name, created_at, version, min_ttl_seconds, default_ttl_seconds, max_ttl_seconds, max_nodes)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
      meta.name,
      meta.createdAt,
      meta.version,
      s.minTtlSeconds,
      s.defaultTtlSeconds,
      s.maxTtlSeconds,
      s.maxNodes,
    );
  }

  saveVersion(version: number): void {
    this.sql.exec("UPDATE cluster SET version = ? WHERE id = 1", version);
  }

  insertJoinToken(token: JoinTokenRecord): void {
    this.sql.exec(
      "INSERT INTO join_tokens (id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
      token.id,
      token.hash,
      token.createdAt,
      token.expiresAt,
    );
  }

  saveNode(n: NodeRecord): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO nodes
         (id, credential_hash, addrs, labels, ttl_seconds, registered_at, last_renewed_at, expires_at, ended_at, observed_ip)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
    );
  }

  saveRenewal(n: NodeRecord): void {
    this.sql.exec(
      "UPDATE nodes SET ttl_seconds = ?, last_renewed_at = ?, expires_at = ?, observed_ip = ? WHERE id = ?",
      n.ttlSeconds,
      n.lastRenewedAt,
      n.expiresAt,
      n.observedIp,
      n.id,
    );
  }

  saveLeaseEnd(id: string, endedAt: number): void {
    this.sql.exec("UPDATE nodes SET ended_at = ? WHERE id = ?", endedAt, id);
  }

  deleteNode(id: string): void {
    this.sql.exec("DELETE FROM nodes WHERE id = ?", id);
  }
}
