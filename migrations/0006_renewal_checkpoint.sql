-- Plain renewals (same addresses, labels, TTL and observed IP) are kept in memory and written in
-- batches, at most RENEWAL_CHECKPOINT_MS apart (then src/cluster/cluster-core.ts). While some are
-- not yet written, this holds when that window opened: a restarted object then knows that no
-- lease can end later than this + the checkpoint interval + the lease's TTL, and keeps each live
-- lease at least that long instead of dropping nodes whose last renewals were lost.
-- Superseded by 0007_lease_behind.sql: nothing reads or writes this column any more.
ALTER TABLE cluster ADD COLUMN renewals_unsaved_since INTEGER;
