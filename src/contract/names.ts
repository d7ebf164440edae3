/**
 * Identifier grammars shared by the Worker, the agent and the CLI, each with the rule that
 * every refusal of a name outside it quotes. They are URL path segments and SQLite keys, so
 * they stay ASCII and short.
 */
export const CLUSTER_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const CLUSTER_NAME_RULE = "cluster names are 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit";
export const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const NODE_ID_RULE = "node ids are 1-128 characters of A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter or digit";
export const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
export const LABEL_KEY_RULE = "label keys are 1-63 characters of A-Z, a-z, 0-9, '.', '_', '/' and '-', starting with a letter or digit";
export const MAX_LABEL_VALUE = 256;
export const MAX_LABELS = 16;
export const MAX_ADDRS = 16;
