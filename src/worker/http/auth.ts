/**
 * Bearer-token middleware factories for the two kinds of caller: strangers stop here.
 *
 * Tokens are never logged or echoed. Admin tokens are resolved by admin-principal.ts and checked
 * against each route's needs (read or write, one cluster or every cluster) by `adminAuth`. A join
 * token or node credential must carry a valid MAC (token-mac.ts) and name the cluster in the path before any Durable Object is called; it is
 * then hashed once here (both once per isolate and token: verified-tokens.ts) and looked up by
 * hash inside the cluster's object, which holds only hashes. Every refusal here counts against
 * the client IP's failed-authentication limit (AUTH_FAILURES); past it the answer is 429.
 */
import type { Context, MiddlewareHandler } from "hono";
import { CLUSTER_NAME, NODE_ID } from "../../contract/names.js";
import { problem, UNAUTHORIZED_HEADERS } from "../../contract/problem.js";
import { ADMIN_TOKEN_PREFIX, JOIN_TOKEN_PREFIX, NODE_CREDENTIAL_PREFIX, parseToken, scopeCovers } from "../../contract/tokens.js";
import { BEARER_SUBPROTOCOL_PREFIX } from "../../contract/watch.js";
import { type AdminPrincipal, adminSecret, isRevokedAdmin, resolveAdmin } from "../admin-principal.js";
import { isRevoked } from "../revocations.js";
import { clientAddress } from "../host.js";
import { rememberedToken, verifyAndRemember } from "../verified-tokens.js";
import { ProblemError, raise } from "./errors.js";
import type { AppEnv } from "./types.js";

const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*$/;
/** Longer than any token the directory mints (a named admin token scoped to 16 long cluster names is about 1.3 KB). */
const MAX_BEARER_LENGTH = 2048;

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
  if (!match || !TOKEN68.test(match[1]) || match[1].length > MAX_BEARER_LENGTH) {
    raise("unauthorized", "the Authorization header must be `Bearer <token>`", { headers: UNAUTHORIZED_HEADERS });
  }
  return match[1];
}

const READ_METHODS = new Set(["GET", "HEAD"]);

/**
 * What an admin route asks of the caller's token.
 * - `need`: `read` (default for GET and HEAD) or `write` (default otherwise). A read token never writes.
 * - `scope`: `cluster` (default when the path names a `{cluster}`): the token's scope must cover it;
 *   `all` (default otherwise): a token scoped to every cluster; `any`: whatever its scope.
 */
export interface AdminAccess {
  need?: "read" | "write";
  scope?: "cluster" | "all" | "any";
}

/** Whether a named token was revoked; a 503 when the revocation list cannot be brought up to date. */
async function revokedOrUnknowable(who: AdminPrincipal, env: Env): Promise<boolean> {
  try {
    return await isRevokedAdmin(who, env);
  } catch (err) {
    console.error("peerdir: the revocation list could not be brought up to date:", err);
    raise("unavailable", "the directory cannot check named admin tokens against its revocation list right now; retry shortly", { headers: { "Retry-After": "5" } });
  }
}

const scopeWords = (p: AdminPrincipal) => (p.clusters === "*" ? "every cluster" : `cluster${p.clusters.length === 1 ? "" : "s"} ${p.clusters.join(", ")}`);

/**
 * Admin routes. Every admin token — the ADMIN_TOKEN (`root`), the ADMIN_READ_TOKEN (`read`) or a
 * named token — is checked against the route's `AdminAccess` here, before any cluster's object is
 * called: forged, expired and revoked tokens are 401 (only the revocation check may ask the
 * catalog, at most once a minute per isolate: revocations.ts); a read token on a write route, a
 * token whose scope does not cover the path's cluster, and a scoped token on a directory-wide
 * route are 403 (the same whether or not the cluster exists, so a scoped token learns nothing of
 * other clusters). Without ADMIN_TOKEN only named tokens minted earlier are accepted.
 * Join tokens and node credentials are refused with 403, whatever they are.
 */
export function adminAuth(access: AdminAccess = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = await bearerOrRefuse(c, () => bearerToken(c.req.header("Authorization")));
    if (token.startsWith(JOIN_TOKEN_PREFIX) || token.startsWith(NODE_CREDENTIAL_PREFIX)) {
      raise("forbidden", "join tokens and node credentials cannot use the admin API; use an admin token");
    }
    if (!c.env.ADMIN_TOKEN && !token.startsWith(ADMIN_TOKEN_PREFIX)) {
      raise("unauthorized", "the admin API is disabled: set the ADMIN_TOKEN secret (`npm run wrangler -- secret put ADMIN_TOKEN`)", { headers: UNAUTHORIZED_HEADERS });
    }
    const resolved = await resolveAdmin(token, c.env);
    if (resolved === null) return refuse(c, "the token is not an admin token of this directory");
    if ("refused" in resolved) return refuse(c, resolved.refused);
    const who = resolved.principal;
    c.set("admin", who);
    c.set("adminRole", who.role);
    const need = access.need ?? (READ_METHODS.has(c.req.method) ? "read" : "write");
    if (need === "write" && who.role === "read") {
      raise("forbidden", `admin token "${who.name}" is read-only: it cannot change anything`);
    }
    const scope = access.scope ?? (c.req.param("cluster") === undefined ? "all" : "cluster");
    if (scope === "all" && who.clusters !== "*") {
      raise("forbidden", `admin token "${who.name}" is scoped to ${scopeWords(who)}; this route needs a token scoped to every cluster`);
    }
    const cluster = c.req.param("cluster") ?? "";
    // A malformed cluster is left to the route's validation (400); no object is called for it either.
    if (scope === "cluster" && CLUSTER_NAME.test(cluster) && !scopeCovers(who.clusters, cluster)) {
      raise("forbidden", `admin token "${who.name}" is scoped to ${scopeWords(who)}, not to cluster "${cluster}"`);
    }
    if (await revokedOrUnknowable(who, c.env)) return refuse(c, `admin token "${who.name}" has been revoked`);
    return next();
  };
}

/**
 * Node routes: a join token or node credential of the cluster in the path, minted by this
 * directory (its MAC verifies). Whether the token is still current (not revoked, replaced or
 * blocked) and whose node it is, the cluster's Durable Object decides: only it holds the hashes.
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
        if (token.startsWith(ADMIN_TOKEN_PREFIX) || (await adminSecret(token, c.env)) !== null) {
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
    // Revoked, replaced and retired tokens are refused here once this isolate's copy of the
    // revocation list has them (within a minute), so they stop waking their cluster's object.
    // A stale copy is fine here: the object checks the hash anyway.
    if (await isRevoked(verified.hash, c.env, { staleIsFine: true })) {
      const gone = `the token is no longer honoured by cluster "${cluster}" (it was revoked, replaced or retired); register again with the cluster's join token`;
      return refuse(c, new ProblemError(problem("credential-gone", gone, { headers: UNAUTHORIZED_HEADERS })));
    }
    c.set("tokenHash", verified.hash);
    return next();
  };
}
