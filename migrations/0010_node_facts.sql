-- Node facts: what the directory learns about a node from reports rather than from its lease
-- (its readiness, each reporter's latest result about it, ...), so that it outlasts hibernation
-- and restarts. A row is written only when a fact changes value, never for a repeated report;
-- a fact at its default (ready, nothing known) has no row, so a quiet healthy cluster has none.
-- See src/cluster/node-facts.ts. The facts of a node go with its lease.
CREATE TABLE node_facts (
  node TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (node, name)
) WITHOUT ROWID;
