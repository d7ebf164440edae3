// Schema migrations: applied in order, once each, recorded; data written under an older schema
// survives the newer migrations. And the store's collected writes, which reach SQLite only when applied.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { applyMigrations, MIGRATIONS } from "../../src/worker/storage/migrations.js";
import { SqlStore } from "../../src/worker/storage/sql-store.js";
import { sha256Hex } from "../../src/worker/secrets.js";
import { mintToken } from "../../src/worker/token-mac.js";
import type { ClusterDirectory } from "../../src/worker/index.js";
import { ADMIN, call, createCluster, peersOf } from "./helpers.js";

describe("migrations", () => {
  it("records every migration once, and applying again is a no-op", async () => {
    await createCluster("mig1");
    const { versions, again } = await runInDurableObject(env.CLUSTER.getByName("mig1"), (_i: ClusterDirectory, state) => ({
      versions: state.storage.sql
        .exec<{ version: number }>("SELECT version FROM _schema_migrations ORDER BY version")
        .toArray()
        .map((r) => r.version),
      again: applyMigrations(state.storage),
    }));
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    expect(again).toEqual([]);
  });

  it("keeps data written with only the first migration intact after the rest apply", async () => {
    const stub = env.CLUSTER.getByName("mig2");
    const now = Date.now();
    const credential = await mintToken({ kind: "node", cluster: "mig2", subject: "old-a" }, env);
    const credentialHash = await sha256Hex(credential);
    await runInDurableObject(stub, (_i: ClusterDirectory, state) => {
      const sql = state.storage.sql;
      // Start over from an empty database holding only migration 1.
      const tables = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray();
      for (const { name } of tables) sql.exec(`DROP TABLE ${name}`);
      expect(applyMigrations(state.storage, MIGRATIONS.slice(0, 1))).toEqual([1]);
      sql.exec("INSERT INTO cluster VALUES (1, 'mig2', ?, 7, 10, 60, 3600, 10000)", now);
      for (const id of ["old-a", "old-b"]) {
        sql.exec(
          "INSERT INTO nodes (id, credential_hash, addrs, labels, ttl_seconds, registered_at, last_renewed_at, expires_at, ended_at) VALUES (?, ?, ?, ?, 600, ?, ?, ?, NULL)",
          id,
          id === "old-a" ? credentialHash : "1".repeat(64),
          JSON.stringify([`/ip4/10.0.0.${id === "old-a" ? 1 : 2}/tcp/5001`]),
          JSON.stringify({ zone: "z" }),
          now,
          now,
          now + 600_000,
        );
      }
      expect(applyMigrations(state.storage)).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
      const row = sql.exec("SELECT id, addrs, labels, observed_ip FROM nodes WHERE id = 'old-b'").one();
      expect(row).toEqual({ id: "old-b", addrs: '["/ip4/10.0.0.2/tcp/5001"]', labels: '{"zone":"z"}', observed_ip: null });
    });
    // The object itself, started afresh on that database, serves the old data.
    await evictDurableObject(stub);
    const handout = await peersOf("mig2", "old-a", credential);
    expect(handout.version).toBe(7);
    expect(handout.peers).toEqual([{ id: "old-b", addrs: ["/ip4/10.0.0.2/tcp/5001"], labels: { zone: "z" } }]);
  });
});

describe("storage of unknown clusters", () => {
  it("a request naming a cluster that does not exist leaves no schema or data behind", async () => {
    await call("PUT", "/v1/clusters/never-created/nodes/a", { token: "pdj_guess", body: { addrs: ["/ip4/10.0.0.1/tcp/1"] } });
    await call("GET", "/v1/clusters/never-created/nodes/a/peers", { token: "pdn_guess" });
    const tables = await runInDurableObject(env.CLUSTER.getByName("never-created"), (_i: ClusterDirectory, state) =>
      state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%'").toArray(),
    );
    expect(tables).toEqual([]);
    // Creating it afterwards migrates and works as usual.
    await createCluster("never-created");
    expect((await call("GET", "/v1/admin/clusters/never-created", { token: ADMIN })).status).toBe(200);
  });
});

describe("collected writes", () => {
  it("hold back every statement until applied, and an operation that throws writes nothing", async () => {
    await createCluster("sql-collect");
    await runInDurableObject(env.CLUSTER.getByName("sql-collect"), (_i: ClusterDirectory, state) => {
      const store = new SqlStore(state.storage.sql);
      const version = () => state.storage.sql.exec<{ v: number }>("SELECT version AS v FROM cluster").one().v;
      const before = version();
      const { result, writes } = store.collectWrites(() => {
        store.saveVersion(before + 1);
        store.saveDegraded(false);
        return "done";
      });
      expect(result).toBe("done");
      expect(writes).toHaveLength(2);
      expect(version()).toBe(before); // nothing reached SQLite yet
      store.applyWrites(writes);
      expect(version()).toBe(before + 1);
      // A throw half-way: the write made before it never reaches SQLite, and collecting ends.
      expect(() =>
        store.collectWrites(() => {
          store.saveVersion(before + 2);
          throw new Error("half-way");
        }),
      ).toThrow("half-way");
      expect(version()).toBe(before + 1);
      store.saveVersion(before + 3); // outside collectWrites: written at once
      expect(version()).toBe(before + 3);
    });
  });
});
