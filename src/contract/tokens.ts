/**
 * Token formats: join tokens and node credentials, what they say about themselves, and the
 * grammar of the non-secret ids that name join tokens.
 *
 *   pdj_<cluster>.<join token id>.<secret>.<mac>     join token
 *   pdn_<cluster>.<node id>.<secret>.<mac>           node credential
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

/**
 * Join token ids (not the secrets): short base64url strings the directory generates. New ids
 * never start with "-", which a command line would take for an option (`peerdir token revoke
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
