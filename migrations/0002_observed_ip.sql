-- The client IP the directory saw on a node's latest registration or renewal (CF-Connecting-IP),
-- for operators and for the advertised-address policy.
ALTER TABLE nodes ADD COLUMN observed_ip TEXT;
