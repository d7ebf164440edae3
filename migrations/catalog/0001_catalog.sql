-- The catalog Durable Object's schema: which clusters exist, for GET /v1/admin/clusters.
CREATE TABLE clusters (
  name TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
