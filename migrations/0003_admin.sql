-- Operator controls: per-cluster request pacing and default handout size, overrides, audit log.
ALTER TABLE cluster ADD COLUMN min_interval_seconds REAL NOT NULL DEFAULT 1;
ALTER TABLE cluster ADD COLUMN default_limit INTEGER;

-- At most one override per node id: pin (a static peer), block or drain.
CREATE TABLE overrides (
  node TEXT PRIMARY KEY,
  action TEXT NOT NULL CHECK (action IN ('pin', 'block', 'drain')),
  addrs TEXT,
  labels TEXT,
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER
) WITHOUT ROWID;

-- Every admin mutation, join, leave and expiry. Pruned to the newest 10,000 rows.
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  action TEXT NOT NULL,
  node TEXT,
  reason TEXT,
  before TEXT,
  after TEXT
);
