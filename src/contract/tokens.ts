/**
 * Token formats: join tokens and node credentials, what they say about themselves, and the
 * grammar of the non-secret ids that name join tokens.
 *
 *   pdj_<cluster>.<join token id>.<secret>.<mac>     join token
 *   pdn_<cluster>.<node id>.<secret>.<mac>           node credential
 *   pda_<name>.<id>.<role>.<expiry>.<scope>.<secret>.<mac>   named admin token
 *
 * An admin token carries everything the Worker needs to authorise a request by itself: its
 * name (the audit's actor), its id (what revocation names), its role (`read` or `write`), its
 * expiry (Unix seconds, `0` for never) and its scope (`_` for every cluster, else cluster names
 * joined by `~`; neither character occurs in a cluster name).
 *
 * The kind prefix makes a leaked token recognisable to secret scanners and a wrong-kind use gets
 * a clear 403. The cluster and the id or node let the Worker refuse a token presented to another
 * cluster without waking any Durable Object. The secret is 256 random bits (base64url), the part
 * nobody can guess; the directory stores only the SHA-256 of the whole token. The MAC
 * (HMAC-SHA-256 under the Worker secret TOKEN_KEY, base64url; worker/token-mac.ts) covers
 * everything before it: only the directory can mint a token that passes the Worker.
 */
import { CLUSTER_NAME, NODE_ID } from "./names.js";

export const JOIN_TOKEN_PREFIX = "pdj_";
export const NODE_CREDENTIAL_PREFIX = "pdn_";
export const ADMIN_TOKEN_PREFIX = "pda_";

/**
 * Join token ids (not the secrets): short base64url strings the directory generates. New ids
 * never start with "-", which a command line would take for an option (`peerdir join-token revoke
 * <cluster> <id>`); the grammar still accepts such ids so older tokens stay revocable.
 */
export const JOIN_TOKEN_ID = /^[A-Za-z0-9_-]{1,64}$/;

export type TokenKind = "join" | "node";

export interface TokenClaims {
  kind: TokenKind;
  cluster: string;
  /** The join token's id, or the node id a credential belongs to. */
  subject: string;
}

export interface ParsedToken extends TokenClaims {
  /** Everything the MAC covers: `<prefix><cluster>.<subject>.<secret>`. */
  payload: string;
  /** The MAC, base64url. */
  mac: string;
}

const PREFIX: Record<TokenKind, string> = { join: JOIN_TOKEN_PREFIX, node: NODE_CREDENTIAL_PREFIX };
/** 32 bytes in unpadded base64url: the secret and the MAC. */
const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;

/** The part of a token the MAC covers. */
export function tokenPayload(claims: TokenClaims, secret: string): string {
  return `${PREFIX[claims.kind]}${claims.cluster}.${claims.subject}.${secret}`;
}

/**
 * Reads a token's claims, or null if it is not shaped like a peerdir token. Says nothing about
 * whether the MAC is right. Node ids may contain dots, cluster names, secrets and MACs may not,
 * so the node id is whatever lies between the first dot and the last two.
 */
export function parseToken(token: string): ParsedToken | null {
  const kind: TokenKind | null = token.startsWith(JOIN_TOKEN_PREFIX) ? "join" : token.startsWith(NODE_CREDENTIAL_PREFIX) ? "node" : null;
  if (kind === null) return null;
  const macDot = token.lastIndexOf(".");
  const secretDot = token.lastIndexOf(".", macDot - 1);
  const clusterDot = token.indexOf(".");
  if (secretDot <= clusterDot) return null;
  const cluster = token.slice(4, clusterDot);
  const subject = token.slice(clusterDot + 1, secretDot);
  const secret = token.slice(secretDot + 1, macDot);
  const mac = token.slice(macDot + 1);
  if (!CLUSTER_NAME.test(cluster) || !B64URL_32.test(secret) || !B64URL_32.test(mac)) return null;
  if (!(kind === "join" ? JOIN_TOKEN_ID : NODE_ID).test(subject)) return null;
  return { kind, cluster, subject, payload: token.slice(0, macDot), mac };
}

// ---- named admin tokens ----------------------------------------------------------------------

export type AdminRole = "read" | "write";
/** Every cluster, or these clusters. */
export type AdminScope = "*" | readonly string[];

/** Admin token names: the cluster-name grammar (lower case, digits, hyphens; no dots). */
export const ADMIN_TOKEN_NAME = CLUSTER_NAME;
export const ADMIN_TOKEN_NAME_RULE = "token names are 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit";
/** The names the two deployment secrets act under; no minted token may take them. */
export const ROOT_NAME = "root";
export const READ_SECRET_NAME = "read";
export const RESERVED_ADMIN_NAMES: readonly string[] = [ROOT_NAME, READ_SECRET_NAME];
/** A scope names at most this many clusters, so a token stays well under the 2 KiB a bearer token may have. */
export const MAX_SCOPE_CLUSTERS = 16;

export interface AdminClaims {
  name: string;
  /** Non-secret, in the JOIN_TOKEN_ID grammar: what listing and revocation name. */
  id: string;
  role: AdminRole;
  /** Epoch milliseconds (whole seconds), or null for never. */
  expiresAt: number | null;
  clusters: AdminScope;
}

export interface ParsedAdminToken extends AdminClaims {
  payload: string;
  mac: string;
}

const ALL_CLUSTERS = "_";
const SCOPE_SEPARATOR = "~";

/** The part of an admin token the MAC covers. */
export function adminTokenPayload(claims: AdminClaims, secret: string): string {
  const expiry = claims.expiresAt === null ? "0" : String(Math.floor(claims.expiresAt / 1000));
  const scope = claims.clusters === "*" ? ALL_CLUSTERS : claims.clusters.join(SCOPE_SEPARATOR);
  return `${ADMIN_TOKEN_PREFIX}${claims.name}.${claims.id}.${claims.role}.${expiry}.${scope}.${secret}`;
}

/** Reads an admin token's claims, or null if it is not shaped like one. Says nothing about its MAC. */
export function parseAdminToken(token: string): ParsedAdminToken | null {
  if (!token.startsWith(ADMIN_TOKEN_PREFIX)) return null;
  const parts = token.slice(ADMIN_TOKEN_PREFIX.length).split(".");
  if (parts.length !== 7) return null;
  const [name, id, role, expiry, scope, secret, mac] = parts;
  if (!ADMIN_TOKEN_NAME.test(name) || !JOIN_TOKEN_ID.test(id) || (role !== "read" && role !== "write")) return null;
  if (!/^(0|[1-9][0-9]{0,11})$/.test(expiry) || !B64URL_32.test(secret) || !B64URL_32.test(mac)) return null;
  let clusters: AdminScope;
  if (scope === ALL_CLUSTERS) clusters = "*";
  else {
    const names = scope.split(SCOPE_SEPARATOR);
    if (names.length > MAX_SCOPE_CLUSTERS || !names.every((n) => CLUSTER_NAME.test(n))) return null;
    clusters = names;
  }
  return { name, id, role, expiresAt: expiry === "0" ? null : Number(expiry) * 1000, clusters, payload: token.slice(0, token.lastIndexOf(".")), mac };
}

/** Whether a scope covers `cluster`. */
export function scopeCovers(scope: AdminScope, cluster: string): boolean {
  return scope === "*" || scope.includes(cluster);
}
