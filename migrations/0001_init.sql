-- The cluster this Durable Object holds: exactly one row.
CREATE TABLE cluster (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  version INTEGER NOT NULL,
  min_ttl_seconds INTEGER NOT NULL,
  default_ttl_seconds INTEGER NOT NULL,
  max_ttl_seconds INTEGER NOT NULL,
  max_nodes INTEGER NOT NULL
);

-- Join tokens, by the SHA-256 of the secret; the secret itself is never stored.
CREATE TABLE join_tokens (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER
);

-- One row per node id: its credential hash, and its lease while ended_at IS NULL.
-- No secondary index on purpose: a renewal then writes exactly one row. Expiry is computed
-- from the in-memory copy, never by scanning this table.
CREATE TABLE nodes (
  id TEXT PRIMARY KEY,
  credential_hash TEXT NOT NULL,
  addrs TEXT NOT NULL,
  labels TEXT NOT NULL,
  ttl_seconds INTEGER NOT NULL,
  registered_at INTEGER NOT NULL,
  last_renewed_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ended_at INTEGER
) WITHOUT ROWID;
