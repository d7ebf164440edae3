/**
 * Who an admin token speaks for: the deployment's secrets (ADMIN_TOKEN is `root`, a `write`
 * token scoped to every cluster; ADMIN_READ_TOKEN is `read`, a `read` token scoped to every
 * cluster) or a named admin token (contract/tokens.ts), decided by the Worker alone.
 *
 * A named token must carry a valid MAC under TOKEN_KEY (or TOKEN_KEY_PREVIOUS), must not have
 * expired, and must not be on the revocation list (revocations.ts). The secrets are compared in
 * constant time through SHA-256 digests, so length leaks nothing.
 */
import { type AdminRole, type AdminScope, parseAdminToken, READ_SECRET_NAME, ROOT_NAME } from "../contract/tokens.js";
import { isRevoked } from "./revocations.js";
import { sha256Hex } from "./secrets.js";
import { verifyToken } from "./token-mac.js";

export interface AdminPrincipal {
  /** The audit's actor: `root`, `read`, or the named token's name. */
  name: string;
  role: AdminRole;
  clusters: AdminScope;
  /** The named token's id; null for the deployment's secrets. */
  id: string | null;
}

export const ROOT: AdminPrincipal = { name: ROOT_NAME, role: "write", clusters: "*", id: null };
export const READ_SECRET: AdminPrincipal = { name: READ_SECRET_NAME, role: "read", clusters: "*", id: null };

/** Whether a principal may create and delete clusters and mint, list and revoke admin tokens. */
export const canManage = (p: AdminPrincipal) => p.role === "write" && p.clusters === "*";

export type Resolved = { principal: AdminPrincipal } | { refused: string } | null;

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

// Digests of the admin secrets, memoised per isolate: after the first request, checking whether
// a token is an admin secret costs two string comparisons.
const digests = new Map<string, string>();
async function secretHash(secret: string): Promise<string> {
  const known = digests.get(secret);
  if (known !== undefined) return known;
  if (digests.size > 4) digests.clear(); // secrets rotate rarely; never let this grow
  const hash = await sha256Hex(secret);
  digests.set(secret, hash);
  return hash;
}

/** Which deployment secret, if any, `token` is. */
export async function adminSecret(token: string, env: Env): Promise<AdminPrincipal | null> {
  const tokenHash = await sha256Hex(token);
  const write = env.ADMIN_TOKEN ? await secretHash(env.ADMIN_TOKEN) : null;
  const read = env.ADMIN_READ_TOKEN ? await secretHash(env.ADMIN_READ_TOKEN) : null;
  // Both comparisons always run, so timing does not tell which secret (if any) matched.
  const isWrite = write !== null && constantTimeEqual(tokenHash, write);
  const isRead = read !== null && constantTimeEqual(tokenHash, read);
  return isWrite ? ROOT : isRead ? READ_SECRET : null;
}

// Named tokens whose MAC this isolate verified, under the key set they were verified with.
const verified = new Map<string, { principal: AdminPrincipal; expiresAt: number | null }>();
let verifiedUnder = "";
const VERIFIED_LIMIT = 256;

/** The named token's claims if its MAC is right (memoised), else null. */
async function namedToken(token: string, env: Env): Promise<{ principal: AdminPrincipal; expiresAt: number | null } | null> {
  const keySet = `${env.TOKEN_KEY ?? ""}\u0000${env.TOKEN_KEY_PREVIOUS ?? ""}`;
  if (keySet !== verifiedUnder) {
    verified.clear();
    verifiedUnder = keySet;
  }
  const known = verified.get(token);
  if (known) return known;
  const parsed = parseAdminToken(token);
  if (parsed === null || !(await verifyToken(parsed, env))) return null;
  const entry = { principal: { name: parsed.name, role: parsed.role, clusters: parsed.clusters, id: parsed.id }, expiresAt: parsed.expiresAt };
  if (verified.size >= VERIFIED_LIMIT) verified.delete(verified.keys().next().value as string);
  verified.set(token, entry);
  return entry;
}

/**
 * The principal `token` speaks for; `{refused}` (with why) for a genuine named token that has
 * expired; null for anything else. Whether a named token was revoked is `isRevokedAdmin`'s
 * question, asked once the route's own checks passed (a refusal by scope costs no catalog call).
 */
export async function resolveAdmin(token: string, env: Env): Promise<Resolved> {
  const named = await namedToken(token, env);
  if (named === null) {
    const secret = await adminSecret(token, env);
    return secret ? { principal: secret } : null;
  }
  const { principal, expiresAt } = named;
  if (expiresAt !== null && Date.now() >= expiresAt) return { refused: `admin token "${principal.name}" expired at ${new Date(expiresAt).toISOString()}` };
  return { principal };
}

/** Whether a named token is on the revocation list (at most one window old; throws if that cannot be had). */
export function isRevokedAdmin(principal: AdminPrincipal, env: Env): Promise<boolean> {
  return principal.id === null ? Promise.resolve(false) : isRevoked(`admin:${principal.id}`, env);
}
