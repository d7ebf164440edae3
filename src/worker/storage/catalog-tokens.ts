/**
 * The catalog's SQLite tables for named admin tokens and the revocation log (schema:
 * migrations/catalog/0002_admin_tokens.sql). Only each admin token's SHA-256 and its claims are
 * kept; the token itself is shown once, in the answer that minted it.
 *
 * The revocation log is what every Worker isolate follows (worker/revocations.ts): an entry per
 * revoked admin token (`admin:<id>`, kept until the token would have expired anyway) and per
 * node token a cluster stopped honouring (its hash, kept REVOKED_NODE_TOKEN_TTL_MS, a day). Expired
 * entries are pruned here and dropped by each isolate on its own clock, so an isolate asking for
 * what is newer than its last sequence number never misses a change.
 */
import type { AdminTokenInfo } from "../../contract/admin-tokens.js";
import type { AdminRole, AdminScope } from "../../contract/tokens.js";

/**
 * How long a revoked node token stays on the edge's list. An agent whose credential is refused
 * falls back to its join token at once, so after a day a revoked token is rarely presented (and
 * then its cluster's object still refuses it); a day bounds the list at one day's revocations.
 */
export const REVOKED_NODE_TOKEN_TTL_MS = 24 * 3600 * 1000;
/** An admin token without an expiry stays on the list this long (about 100 years: for good). */
const FOREVER_MS = 100 * 365 * 24 * 3600 * 1000;

export interface AdminTokenRecord {
  id: string;
  name: string;
  role: AdminRole;
  clusters: AdminScope;
  tokenHash: string;
  createdAt: number;
  createdBy: string;
  expiresAt: number | null;
}

export interface RevocationBatch {
  /** The log's random name (see the migration). */
  log: string;
  /** The newest sequence number: ask for what is newer next time. */
  seq: number;
  /** Oldest first. */
  entries: { key: string; expiresAt: number }[];
}

interface TokenRow {
  id: string;
  name: string;
  role: AdminRole;
  clusters: string;
  token_hash: string;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  [key: string]: SqlStorageValue;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function tokenInfo(r: AdminTokenRecord): AdminTokenInfo {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    clusters: r.clusters === "*" ? ["*"] : [...r.clusters],
    createdAt: new Date(r.createdAt).toISOString(),
    createdBy: r.createdBy,
    expiresAt: iso(r.expiresAt),
  };
}

export class CatalogTokens {
  constructor(private readonly sql: SqlStorage) {}

  /** Stores a minted token; false when its name is taken by a token not yet revoked. */
  insert(r: AdminTokenRecord): boolean {
    const taken = this.sql.exec("SELECT 1 FROM admin_tokens WHERE name = ?", r.name).toArray().length > 0;
    if (taken) return false;
    this.sql.exec(
      "INSERT INTO admin_tokens (id, name, role, clusters, token_hash, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      r.id,
      r.name,
      r.role,
      JSON.stringify(r.clusters),
      r.tokenHash,
      r.createdAt,
      r.createdBy,
      r.expiresAt,
    );
    return true;
  }

  /** Every token not revoked, by name (expired ones too, until revoked: their names stay taken). */
  list(): AdminTokenRecord[] {
    return this.sql
      .exec<TokenRow>("SELECT * FROM admin_tokens ORDER BY name")
      .toArray()
      .map((row) => ({
        id: row.id,
        name: row.name,
        role: row.role,
        clusters: JSON.parse(row.clusters) as AdminScope,
        tokenHash: row.token_hash,
        createdAt: row.created_at,
        createdBy: row.created_by,
        expiresAt: row.expires_at,
      }));
  }

  /** Deletes the token and logs its revocation; the record, or undefined for an unknown id. */
  revoke(id: string, now: number): AdminTokenRecord | undefined {
    const record = this.list().find((r) => r.id === id);
    if (!record) return undefined;
    this.sql.exec("DELETE FROM admin_tokens WHERE id = ?", id);
    this.#log([`admin:${id}`], record.expiresAt ?? now + FOREVER_MS, now);
    return record;
  }

  /** Node tokens (by hash) a cluster stopped honouring. */
  revokeNodeTokens(hashes: readonly string[], now: number): void {
    this.#log(hashes, now + REVOKED_NODE_TOKEN_TTL_MS, now);
  }

  /** What was logged after `seq` of log `log`; everything still in force when `log` is another. */
  since(log: string, seq: number, now: number): RevocationBatch {
    const name = this.#logName();
    const after = log === name ? seq : 0;
    const entries = this.sql
      .exec<{ key: string; expires_at: number }>("SELECT key, expires_at FROM revocations WHERE seq > ? AND expires_at > ? ORDER BY seq", after, now)
      .toArray()
      .map((row) => ({ key: row.key, expiresAt: row.expires_at }));
    const last = this.sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM revocations").one().s ?? 0;
    return { log: name, seq: Math.max(last, after), entries };
  }

  #log(keys: readonly string[], expiresAt: number, now: number): void {
    for (const key of keys) this.sql.exec("INSERT INTO revocations (key, expires_at) VALUES (?, ?)", key, expiresAt);
    // Pruning keeps the newest row, whatever its expiry, so the sequence never goes backwards.
    this.sql.exec("DELETE FROM revocations WHERE expires_at <= ? AND seq < (SELECT MAX(seq) FROM revocations)", now);
  }

  #logName(): string {
    const row = this.sql.exec<{ name: string }>("SELECT name FROM revocation_log WHERE id = 1").toArray()[0];
    if (row) return row.name;
    const name = crypto.randomUUID();
    this.sql.exec("INSERT INTO revocation_log (id, name) VALUES (1, ?)", name);
    return name;
  }
}
