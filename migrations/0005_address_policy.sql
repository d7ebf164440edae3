-- Per-cluster policy on advertised addresses: 'any', or 'observed-ip' (every advertised address
-- must be an /ip4 or /ip6 address equal to the client IP the directory sees on the request).
ALTER TABLE cluster ADD COLUMN address_policy TEXT NOT NULL DEFAULT 'any' CHECK (address_policy IN ('any', 'observed-ip'));
