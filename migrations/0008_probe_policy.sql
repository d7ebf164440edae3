-- Per-cluster control over the agents' peer probes: 'on' or 'off', and the CIDR ranges they may
-- probe (a JSON array of strings; empty = any address). Agents learn both from their renewals.
ALTER TABLE cluster ADD COLUMN probing TEXT NOT NULL DEFAULT 'on' CHECK (probing IN ('on', 'off'));
ALTER TABLE cluster ADD COLUMN probe_ranges TEXT NOT NULL DEFAULT '[]';
