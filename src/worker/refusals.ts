/**
 * The cluster's refusals in the API's words: each typed refusal becomes a problem with its
 * status, its detail (naming the routes to use instead) and its headers (WWW-Authenticate,
 * Retry-After), and a problem becomes a response. The one place the cluster's outcomes meet
 * HTTP, for the routes and the object alike.
 */
import { type ProblemInit, problem, UNAUTHORIZED_HEADERS } from "../contract/problem.js";
import type { Refusal } from "../cluster/refusals.js";

export function refusalProblem(refusal: Refusal, cluster: string): ProblemInit {
  switch (refusal.kind) {
    case "no-cluster":
      return problem("not-found", `cluster "${cluster}" does not exist; an operator creates it with POST /v1/admin/clusters`);
    case "cluster-exists":
      return problem("conflict", `cluster "${cluster}" already exists; pick another name or delete it first`);
    case "cluster-full":
      return problem("cluster-full", `cluster "${cluster}" already has ${refusal.maxNodes} live nodes (its maxNodes); a node must leave or expire before another can join`);
    case "join-token-expired":
      return problem("unauthorized", "this join token has expired; ask an operator for a new one", { headers: UNAUTHORIZED_HEADERS });
    case "unknown-token":
      return problem(
        "credential-gone",
        `the token is not a join token or node credential of cluster "${cluster}" (it may have been replaced, revoked or forgotten); register again with the cluster's join token`,
        { headers: UNAUTHORIZED_HEADERS },
      );
    case "credential-of-another-node":
      return problem("forbidden", `this node credential belongs to another node of cluster "${cluster}", not to "${refusal.node}"`);
    case "join-token-cannot-renew":
      return problem("forbidden", "a join token can only register a node (PUT); use the node credential that registration returned");
    case "blocked":
      return problem("blocked", `node "${refusal.node}" is blocked by an operator: ${refusal.reason}`, { reason: refusal.reason });
    case "rate-limited":
      return problem(
        "rate-limited",
        `node "${refusal.node}" is over its rate limit (bursts of ${refusal.burst}, then one request per ${refusal.intervalSeconds} s); retry after ${refusal.retryAfterSeconds} s`,
        { headers: { "Retry-After": String(refusal.retryAfterSeconds) } },
      );
    case "address-policy":
      return problem("forbidden", refusal.violation);
    case "lease-held":
      return problem(
        "conflict",
        `node "${refusal.node}" has a live lease held by its node credential, so a join token cannot take the id over. ` +
          `Renew with the node's credential, have the node leave, or wait until the lease expires at ${new Date(refusal.expiresAt).toISOString()}.`,
      );
    case "not-registered":
      return problem("not-registered", `node "${refusal.node}" has no live lease in cluster "${cluster}"; register it again with PUT`);
    case "no-live-lease":
      return problem("not-found", `node "${refusal.node}" has no live lease in cluster "${cluster}"`);
    case "no-credential":
      return problem("not-found", `node "${refusal.node}" has no credential in cluster "${cluster}"`);
    case "no-override":
      return problem("not-found", `node "${refusal.node}" has no override in cluster "${cluster}"`);
    case "no-join-token":
      return problem("not-found", `cluster "${cluster}" has no join token with id "${refusal.id}"; list them with GET …/join-tokens`);
    case "expiry-in-past":
      return problem("bad-request", "expiresAt must be in the future", { errors: [{ pointer: "/expiresAt", detail: "must be in the future" }] });
    case "ttl-bounds":
      return problem(
        "bad-request",
        `the TTL bounds must keep minTtlSeconds ≤ defaultTtlSeconds ≤ maxTtlSeconds; this change would make them ${refusal.minTtlSeconds} / ${refusal.defaultTtlSeconds} / ${refusal.maxTtlSeconds}`,
        { errors: [{ pointer: "/defaultTtlSeconds", detail: "must lie between minTtlSeconds and maxTtlSeconds" }] },
      );
  }
}

/** A problem as an `application/problem+json` response; its headers go on the response, not in the body. */
export function problemResponse(p: ProblemInit): Response {
  const { headers, ...body } = p;
  return new Response(JSON.stringify(body), {
    status: p.status,
    headers: { "Content-Type": "application/problem+json", ...headers },
  });
}
