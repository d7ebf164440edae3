/**
 * Bearer-token middleware factories for the two kinds of caller.
 *
 * Tokens are never logged or echoed. The admin token is compared in constant time (through
 * SHA-256 digests, so length leaks nothing); node-side tokens are hashed once here and looked up
 * by hash inside the cluster's Durable Object, which holds only hashes.
 */
import type { MiddlewareHandler } from "hono";
import { UNAUTHORIZED_HEADERS } from "../problem.js";
import { JOIN_TOKEN_PREFIX, NODE_CREDENTIAL_PREFIX, sha256Hex } from "../directory/tokens.js";
import { raise } from "./errors.js";
import type { AppEnv } from "./types.js";

const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*$/;

function bearerToken(header: string | undefined): string {
  if (!header) raise("unauthorized", "send a token in the Authorization header: `Authorization: Bearer <token>`", { headers: UNAUTHORIZED_HEADERS });
  const match = /^Bearer +(\S+)\s*$/i.exec(header);
  if (!match || !TOKEN68.test(match[1]) || match[1].length > 512) {
    raise("unauthorized", "the Authorization header must be `Bearer <token>`", { headers: UNAUTHORIZED_HEADERS });
  }
  return match[1];
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

// The admin token's digest, memoised per isolate: one digest per request instead of two.
let adminDigest: { token: string; hash: Promise<string> } | null = null;
function adminTokenHash(token: string): Promise<string> {
  if (adminDigest?.token !== token) adminDigest = { token, hash: sha256Hex(token) };
  return adminDigest.hash;
}

async function isAdminToken(tokenHash: string, env: Env): Promise<boolean> {
  if (!env.ADMIN_TOKEN) return false;
  return constantTimeEqual(tokenHash, await adminTokenHash(env.ADMIN_TOKEN));
}

/** Admin routes: the `ADMIN_TOKEN` secret only. */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearerToken(c.req.header("Authorization"));
    if (!c.env.ADMIN_TOKEN) {
      raise("unauthorized", "the admin API is disabled: set the ADMIN_TOKEN secret (`npx wrangler secret put ADMIN_TOKEN`)", { headers: UNAUTHORIZED_HEADERS });
    }
    if (await isAdminToken(await sha256Hex(token), c.env)) return next();
    if (token.startsWith(JOIN_TOKEN_PREFIX) || token.startsWith(NODE_CREDENTIAL_PREFIX)) {
      raise("forbidden", "join tokens and node credentials cannot use the admin API; use the ADMIN_TOKEN");
    }
    raise("unauthorized", "the token is not the admin token", { headers: UNAUTHORIZED_HEADERS });
  };
}

/** Node routes: a join token or node credential, checked by the cluster's Durable Object. */
export function nodeAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const tokenHash = await sha256Hex(bearerToken(c.req.header("Authorization")));
    if (await isAdminToken(tokenHash, c.env)) {
      raise("forbidden", "the admin token cannot act as a node; use the cluster's join token or the node's credential");
    }
    c.set("tokenHash", tokenHash);
    return next();
  };
}
