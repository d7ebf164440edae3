-- Named admin tokens (only their SHA-256 is kept) and the revocation log the Worker's isolates
-- follow, so a revoked admin token or node credential is refused at the edge within a minute.
CREATE TABLE admin_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  clusters TEXT NOT NULL, -- JSON: "*" or an array of cluster names
  token_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  expires_at INTEGER
) WITHOUT ROWID;

-- Append-only but for expiry: `seq` orders it, so an isolate asks only for what is newer than
-- what it has. `key` is `admin:<token id>` or the SHA-256 (hex) of a node token.
CREATE TABLE revocations (
  seq INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX revocations_expiry ON revocations (expires_at);

-- A random name for this log: an isolate that followed another log (a catalog deleted and made
-- again, or a test's fresh storage) starts over instead of trusting its sequence numbers.
CREATE TABLE revocation_log (id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL);
