/**
 * The ClusterCatalog Durable Object: a single instance that knows which clusters exist, so
 * operators can list them. Counts and versions are not copied here; the list route asks each
 * cluster's own object, so they are never stale. Like every object here, it makes no outbound
 * request.
 */
import { DurableObject } from "cloudflare:workers";
import { applyMigrations, CATALOG_MIGRATIONS } from "../storage/migrations.js";

export class ClusterCatalog extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, CATALOG_MIGRATIONS);
    });
  }

  async add(name: string, createdAt: number): Promise<void> {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO clusters (name, created_at) VALUES (?, ?)", name, createdAt);
  }

  async remove(name: string): Promise<void> {
    this.ctx.storage.sql.exec("DELETE FROM clusters WHERE name = ?", name);
  }

  async list(): Promise<string[]> {
    return this.ctx.storage.sql
      .exec<{ name: string }>("SELECT name FROM clusters ORDER BY name")
      .toArray()
      .map((row) => row.name);
  }
}
