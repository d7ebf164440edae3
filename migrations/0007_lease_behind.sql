-- Plain renewals are never written (src/cluster/cluster-core.ts). A lease whose stored expiry may
-- be behind its real one (a plain renewal since its last write, or a watch socket holding it) is
-- marked, once, so that a restarted object knows which leases get the restart grace: each of
-- these is kept its TTL from the restart (and written so), every other one ends at its stored
-- expiry. This replaces the renewal-checkpoint window of 0006, whose column is no longer used.
ALTER TABLE nodes ADD COLUMN behind INTEGER NOT NULL DEFAULT 0;
