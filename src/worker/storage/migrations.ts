/**
 * Schema migrations for a cluster's SQLite storage.
 *
 * Each file in migrations/ is applied once, in order, inside its own transaction, and recorded
 * in `_schema_migrations`; running the list again applies nothing. (Durable Object SQLite does
 * not support `PRAGMA user_version`, hence the table.) Add a migration by adding a file and a
 * line below — never edit one that has shipped.
 */
import init from "../../../migrations/0001_init.sql";
import observedIp from "../../../migrations/0002_observed_ip.sql";
import admin from "../../../migrations/0003_admin.sql";
import changelog from "../../../migrations/0004_changelog.sql";
import addressPolicy from "../../../migrations/0005_address_policy.sql";
import renewalCheckpoint from "../../../migrations/0006_renewal_checkpoint.sql";
import leaseBehind from "../../../migrations/0007_lease_behind.sql";
import probePolicy from "../../../migrations/0008_probe_policy.sql";
import consumerLoops from "../../../migrations/0009_consumer_loops.sql";
import nodeFacts from "../../../migrations/0010_node_facts.sql";
import catalog from "../../../migrations/catalog/0001_catalog.sql";
import catalogAdminTokens from "../../../migrations/catalog/0002_admin_tokens.sql";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "0001_init", sql: init },
  { version: 2, name: "0002_observed_ip", sql: observedIp },
  { version: 3, name: "0003_admin", sql: admin },
  { version: 4, name: "0004_changelog", sql: changelog },
  { version: 5, name: "0005_address_policy", sql: addressPolicy },
  { version: 6, name: "0006_renewal_checkpoint", sql: renewalCheckpoint },
  { version: 7, name: "0007_lease_behind", sql: leaseBehind },
  { version: 8, name: "0008_probe_policy", sql: probePolicy },
  { version: 9, name: "0009_consumer_loops", sql: consumerLoops },
  { version: 10, name: "0010_node_facts", sql: nodeFacts },
];

/** The cluster catalog object's own schema (migrations/catalog/). */
export const CATALOG_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "catalog/0001_catalog", sql: catalog },
  { version: 2, name: "catalog/0002_admin_tokens", sql: catalogAdminTokens },
];

/** The parts of `DurableObjectStorage` migrations need, so tests can pass a real one directly. */
export interface MigratableStorage {
  sql: SqlStorage;
  transactionSync<T>(closure: () => T): T;
}

/** Whether this storage has ever been migrated (a cluster was created in it). */
export function hasSchema(sql: SqlStorage): boolean {
  return sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_schema_migrations'").toArray().length > 0;
}

/** Applies every migration newer than the recorded version. Returns the versions it applied. */
export function applyMigrations(storage: MigratableStorage, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const { sql } = storage;
  sql.exec("CREATE TABLE IF NOT EXISTS _schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  const current = sql.exec<{ v: number | null }>("SELECT MAX(version) AS v FROM _schema_migrations").one().v ?? 0;
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    storage.transactionSync(() => {
      sql.exec(migration.sql);
      sql.exec("INSERT INTO _schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", migration.version, migration.name, Date.now());
    });
    applied.push(migration.version);
  }
  return applied;
}
