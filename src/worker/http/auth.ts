/**
 * Bearer-token middleware factories for the two kinds of caller: strangers stop here.
 *
 * Tokens are never logged or echoed. The admin token is compared in constant time (through
 * SHA-256 digests, so length leaks nothing). A join token or node credential must carry a valid
 * MAC (token-mac.ts) and name the cluster in the path before any Durable Object is called; it is
 * then hashed once here (both once per isolate and token: verified-tokens.ts) and looked up by
 * hash inside the cluster's object, which holds only hashes. Every refusal here counts against
 * the client IP's failed-authentication limit (AUTH_FAILURES); past it the answer is 429.
 */
import type { Context, MiddlewareHandler } from "hono";
import { CLUSTER_NAME, NODE_ID } from "../../contract/names.js";
import { UNAUTHORIZED_HEADERS } from "../../contract/problem.js";
import { JOIN_TOKEN_PREFIX, NODE_CREDENTIAL_PREFIX, parseToken } from "../../contract/tokens.js";
import { BEARER_SUBPROTOCOL_PREFIX } from "../../contract/watch.js";
import { clientAddress } from "../host.js";
import { sha256Hex } from "../secrets.js";
import { rememberedToken, verifyAndRemember } from "../verified-tokens.js";
import { ProblemError, raise } from "./errors.js";
import type { AppEnv } from "./types.js";

const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*$/;

/** Seconds a client waits once past the failed-authentication limit: the limiter's period (wrangler.toml). */
export const AUTH_FAILURE_RETRY_AFTER = "60";

/**
 * Refuses the request with 401, having counted the failure against the client IP; past the
 * limit, with 429 and Retry-After instead. The client IP is the host's (host.ts).
 */
async function refuse(c: Context<AppEnv>, failure: ProblemError | string): Promise<never> {
  const { success } = await c.env.AUTH_FAILURES.limit({ key: clientAddress(c.req) ?? "unknown" });
  if (!success) {
    raise("rate-limited", "too many requests from this address failed authentication; wait before retrying", {
      headers: { "Retry-After": AUTH_FAILURE_RETRY_AFTER },
    });
  }
  if (failure instanceof ProblemError) throw failure;
  raise("unauthorized", failure, { headers: UNAUTHORIZED_HEADERS });
}

/** The bearer token, or a refusal for a missing or malformed Authorization. */
async function bearerOrRefuse(c: Context<AppEnv>, read: () => string): Promise<string> {
  try {
    return read();
  } catch (err) {
    if (err instanceof ProblemError) return refuse(c, err);
    throw err;
  }
}

/**
 * The bearer token of a WebSocket upgrade: the Authorization header, or, for browsers, which
 * cannot set headers, the subprotocol `bearer.<token>` offered next to `peerdir`.
 */
function watchToken(authorization: string | undefined, protocols: string | undefined): string {
  if (authorization) return bearerToken(authorization);
  const offered = protocols?.split(",").map((p) => p.trim()) ?? [];
  const fromProtocol = offered.find((p) => p.startsWith(BEARER_SUBPROTOCOL_PREFIX))?.slice(BEARER_SUBPROTOCOL_PREFIX.length);
  return bearerToken(fromProtocol ? `Bearer ${fromProtocol}` : undefined);
}

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

// Digests of the admin secrets, memoised per isolate: after the first request, checking whether
// a token is an admin token costs two string comparisons and no await.
const digests = new Map<string, string>();
async function secretHash(secret: string): Promise<string> {
  const known = digests.get(secret);
  if (known !== undefined) return known;
  if (digests.size > 4) digests.clear(); // secrets rotate rarely; never let this grow
  const hash = await sha256Hex(secret);
  digests.set(secret, hash);
  return hash;
}

/** Which admin secret, if any, hashes to `tokenHash`: "write" (ADMIN_TOKEN) or "read" (ADMIN_READ_TOKEN). */
async function adminRole(tokenHash: string, env: Env): Promise<"write" | "read" | null> {
  const write = env.ADMIN_TOKEN ? (digests.get(env.ADMIN_TOKEN) ?? (await secretHash(env.ADMIN_TOKEN))) : null;
  const read = env.ADMIN_READ_TOKEN ? (digests.get(env.ADMIN_READ_TOKEN) ?? (await secretHash(env.ADMIN_READ_TOKEN))) : null;
  // Both comparisons always run, so timing does not tell which secret (if any) matched.
  const isWrite = write !== null && constantTimeEqual(tokenHash, write);
  const isRead = read !== null && constantTimeEqual(tokenHash, read);
  return isWrite ? "write" : isRead ? "read" : null;
}

const READ_METHODS = new Set(["GET", "HEAD"]);

/**
 * Admin routes: `ADMIN_TOKEN` for everything, `ADMIN_READ_TOKEN` (optional) for GET and HEAD.
 * Join tokens and node credentials are refused with 403, whatever they are.
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = await bearerOrRefuse(c, () => bearerToken(c.req.header("Authorization")));
    if (!c.env.ADMIN_TOKEN) {
      raise("unauthorized", "the admin API is disabled: set the ADMIN_TOKEN secret (`npm run wrangler -- secret put ADMIN_TOKEN`)", { headers: UNAUTHORIZED_HEADERS });
    }
    const role = await adminRole(await sha256Hex(token), c.env);
    if (role === "write") {
      c.set("adminRole", role);
      return next();
    }
    if (role === "read") {
      c.set("adminRole", role);
      if (READ_METHODS.has(c.req.method)) return next();
      raise("forbidden", "the read-only admin token (ADMIN_READ_TOKEN) cannot change anything; use the ADMIN_TOKEN");
    }
    if (token.startsWith(JOIN_TOKEN_PREFIX) || token.startsWith(NODE_CREDENTIAL_PREFIX)) {
      raise("forbidden", "join tokens and node credentials cannot use the admin API; use the ADMIN_TOKEN");
    }
    return refuse(c, "the token is not an admin token");
  };
}

/**
 * Node routes: a join token or node credential of the cluster in the path, minted by this
 * directory (its MAC verifies). Whether the token is still current (not revoked, replaced or
 * blocked) and whose node it is, the cluster's Durable Object decides, as it always has.
 * A malformed path is left to the route's validation (400): it never reaches an object either.
 * `{ websocket: true }` also takes the token from the `bearer.<token>` subprotocol.
 */
export function nodeAuth(options: { websocket?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = await bearerOrRefuse(c, () =>
      options.websocket ? watchToken(c.req.header("Authorization"), c.req.header("Sec-WebSocket-Protocol")) : bearerToken(c.req.header("Authorization")),
    );
    const cluster = c.req.param("cluster") ?? "";
    // A malformed path goes on to the route's validation, which refuses it with 400 and field
    // errors (same grammar: contract/names.ts); no object is called for it either.
    if (!CLUSTER_NAME.test(cluster) || !NODE_ID.test(c.req.param("node") ?? "")) return next();
    // A token this isolate verified before skips the MAC check and the hashing (verified-tokens.ts).
    let verified = rememberedToken(token, c.env) ?? null;
    if (verified === null) {
      const parsed = parseToken(token);
      if (parsed === null) {
        if ((await adminRole(await sha256Hex(token), c.env)) !== null) {
          raise("forbidden", "an admin token cannot act as a node; use the cluster's join token or the node's credential");
        }
        return refuse(c, `the token is not a join token or node credential of cluster "${cluster}"`);
      }
      if (parsed.cluster === cluster) verified = await verifyAndRemember(token, parsed, c.env);
    }
    if (verified === null || verified.cluster !== cluster) {
      return refuse(
        c,
        `the token is not a join token or node credential of cluster "${cluster}" issued by this directory (tokens issued under a retired TOKEN_KEY must be issued again)`,
      );
    }
    c.set("tokenHash", verified.hash);
    return next();
  };
}
