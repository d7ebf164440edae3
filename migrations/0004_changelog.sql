-- Deltas and self-preservation.
-- The change log: per version, which handout entries changed, and their state before, so any
-- requester's handout at an older version can be rebuilt and diffed. Pruned to >= 1,000
-- versions and >= the max TTL; changelog_floor is the oldest version deltas can start from.
CREATE TABLE changelog (
  version INTEGER NOT NULL,
  node TEXT NOT NULL,
  was_present INTEGER NOT NULL,
  was_zone TEXT,
  at INTEGER NOT NULL,
  PRIMARY KEY (version, node)
) WITHOUT ROWID;

ALTER TABLE cluster ADD COLUMN changelog_floor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cluster ADD COLUMN degraded INTEGER NOT NULL DEFAULT 0;
-- Clusters that existed before the change log can give deltas only from their current version.
UPDATE cluster SET changelog_floor = version;
