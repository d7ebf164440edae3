/**
 * The ClusterCatalog Durable Object: a single instance that knows which clusters exist, so
 * operators can list them, and how many there are for the directory-wide metrics. Per-cluster
 * counts and versions are not copied here; the list route asks each cluster's own object, so they
 * are never stale. It also keeps the named admin tokens (their hashes) and the revocation log
 * every Worker isolate follows (storage/catalog-tokens.ts). Like every object here, it makes no
 * outbound request.
 */
import { DurableObject } from "cloudflare:workers";
import { buildInfo } from "../../cluster/metrics.js";
import { exposition } from "../../contract/prometheus.js";
import { VERSION } from "../../contract/version.js";
import { type AdminTokenRecord, CatalogTokens, type RevocationBatch } from "../storage/catalog-tokens.js";
import { applyMigrations, CATALOG_MIGRATIONS } from "../storage/migrations.js";

/** The ClusterCatalog object's name: there is exactly one. */
export const CATALOG_NAME = "catalog";

export class ClusterCatalog extends DurableObject<Env> {
  /**
   * How many clusters exist, counted once when the object starts and then kept as they come and
   * go, so a metrics scrape reads no rows however many clusters there are.
   */
  #clusters = 0;
  #created = 0;
  #deleted = 0;
  #tokens!: CatalogTokens;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, CATALOG_MIGRATIONS);
      this.#tokens = new CatalogTokens(ctx.storage.sql);
      this.#clusters = ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM clusters").one().n;
    });
  }

  async add(name: string, createdAt: number): Promise<void> {
    const added = this.ctx.storage.sql.exec("INSERT OR IGNORE INTO clusters (name, created_at) VALUES (?, ?)", name, createdAt).rowsWritten;
    this.#clusters += added;
    this.#created += added;
  }

  async remove(name: string): Promise<void> {
    const removed = this.ctx.storage.sql.exec("DELETE FROM clusters WHERE name = ?", name).rowsWritten;
    this.#clusters -= removed;
    this.#deleted += removed;
  }

  /** The directory as a whole, in Prometheus text: from this object's memory, never from the clusters' objects. */
  async metrics(): Promise<string> {
    return exposition([
      { name: "peerdir_clusters", help: "Clusters that exist.", type: "gauge", samples: [{ value: this.#clusters }] },
      { name: "peerdir_clusters_created_total", help: "Clusters created since the catalog's object started.", type: "counter", samples: [{ value: this.#created }] },
      {
        name: "peerdir_clusters_deleted_total",
        help: "Clusters deleted (or found gone) since the catalog's object started.",
        type: "counter",
        samples: [{ value: this.#deleted }],
      },
      buildInfo(VERSION),
    ]);
  }

  async list(): Promise<string[]> {
    return this.ctx.storage.sql
      .exec<{ name: string }>("SELECT name FROM clusters ORDER BY name")
      .toArray()
      .map((row) => row.name);
  }

  /** Stores a minted admin token; false when a token of that name exists. */
  async addAdminToken(record: AdminTokenRecord): Promise<boolean> {
    return this.#tokens.insert(record);
  }

  async adminTokens(): Promise<AdminTokenRecord[]> {
    return this.#tokens.list();
  }

  /** Revokes an admin token: gone from the list, and on the revocation log. Undefined for an unknown id. */
  async revokeAdminToken(id: string): Promise<AdminTokenRecord | undefined> {
    return this.ctx.storage.transactionSync(() => this.#tokens.revoke(id, Date.now()));
  }

  /** Node tokens (SHA-256 hex) a cluster no longer honours: revoked, replaced, retired or deleted with it. */
  async revokeNodeTokens(hashes: string[]): Promise<void> {
    if (hashes.length > 0) this.ctx.storage.transactionSync(() => this.#tokens.revokeNodeTokens(hashes, Date.now()));
  }

  /** The revocation log after `seq` (worker/revocations.ts asks at most once a minute per isolate). */
  async revocationsSince(log: string, seq: number): Promise<RevocationBatch> {
    return this.#tokens.since(log, seq, Date.now());
  }
}
