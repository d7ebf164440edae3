-- Plain renewals (same addresses, labels, TTL and observed IP) are kept in memory and written in
-- batches, at most RENEWAL_CHECKPOINT_MS apart (see src/directory/cluster-core.ts). While some are
-- not yet written, this holds when that window opened: a restarted object then knows that no
-- lease can end later than this + the checkpoint interval + the lease's TTL, and keeps each live
-- lease at least that long instead of dropping nodes whose last renewals were lost.
ALTER TABLE cluster ADD COLUMN renewals_unsaved_since INTEGER;
