/**
 * Identifier grammars shared by the Worker, the agent and the CLI.
 * They are URL path segments and SQLite keys, so they stay ASCII and short.
 */
export const CLUSTER_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
export const MAX_LABEL_VALUE = 256;
export const MAX_LABELS = 16;
export const MAX_ADDRS = 16;
