/**
 * Problem details (RFC 9457): the one shape every failure takes, on both sides of the
 * Worker / Durable Object boundary.
 *
 * The Durable Object returns problems as plain data inside an `Outcome` (RPC does not carry
 * custom error classes); the HTTP layer throws them as `ProblemError` and renders them in one
 * place. Each kind has a stable `type` URI so clients can branch on it without parsing text:
 * every refusal a client acts on differently has a kind of its own (a block, a credential that is
 * gone, a node with no live lease, a rate limit), and what the client needs from it (a block's
 * reason) is a member of the problem, not a phrase in its detail.
 */
export interface FieldError {
  /** JSON pointer into the request: `/addrs/1`, `/query/limit`, `/path/node`. */
  pointer: string;
  detail: string;
}

export type ProblemKind =
  | "bad-request"
  | "unauthorized"
  | "forbidden"
  | "blocked"
  | "credential-gone"
  | "not-found"
  | "not-registered"
  | "method-not-allowed"
  | "conflict"
  | "cluster-full"
  | "payload-too-large"
  | "unsupported-media-type"
  | "rate-limited"
  | "upgrade-required"
  | "internal"
  | "unavailable";

const STATUS: Record<ProblemKind, number> = {
  "bad-request": 400,
  unauthorized: 401,
  forbidden: 403,
  blocked: 403,
  "credential-gone": 401,
  "not-found": 404,
  "not-registered": 404,
  "method-not-allowed": 405,
  conflict: 409,
  "cluster-full": 409,
  "payload-too-large": 413,
  "unsupported-media-type": 415,
  "rate-limited": 429,
  "upgrade-required": 426,
  internal: 500,
  unavailable: 503,
};

const TITLE: Record<ProblemKind, string> = {
  "bad-request": "Bad request",
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  blocked: "Blocked by an operator",
  "credential-gone": "Token not recognised",
  "not-found": "Not found",
  "not-registered": "No live lease",
  "method-not-allowed": "Method not allowed",
  conflict: "Conflict",
  "cluster-full": "Cluster is full",
  "payload-too-large": "Payload too large",
  "unsupported-media-type": "Unsupported media type",
  "rate-limited": "Too many requests",
  "upgrade-required": "Upgrade required",
  internal: "Internal error",
  unavailable: "Service unavailable",
};

export interface ProblemInit {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  /** For `blocked`: the operator's reason. */
  reason?: string;
  /** Extra response headers (Retry-After, Allow, WWW-Authenticate). Not part of the body. */
  headers?: Record<string, string>;
}

const TYPE_PREFIX = "urn:peerdir:problem:";

export function problem(kind: ProblemKind, detail: string, extra?: Pick<ProblemInit, "errors" | "headers" | "reason">): ProblemInit {
  return { type: `${TYPE_PREFIX}${kind}`, title: TITLE[kind], status: STATUS[kind], detail, ...extra };
}

/** The kind a problem's `type` names, or null for a type this version does not know (or none). */
export function problemKind(type: string | undefined): ProblemKind | null {
  if (!type?.startsWith(TYPE_PREFIX)) return null;
  const kind = type.slice(TYPE_PREFIX.length);
  return Object.hasOwn(STATUS, kind) ? (kind as ProblemKind) : null;
}

/** The generic kind of an HTTP status, for answers that carry no problem of ours (a framework's, a proxy's); null for none. */
export function kindOfStatus(status: number): ProblemKind | null {
  const generic: ProblemKind[] = [
    "bad-request",
    "unauthorized",
    "forbidden",
    "not-found",
    "method-not-allowed",
    "conflict",
    "payload-too-large",
    "unsupported-media-type",
    "rate-limited",
    "upgrade-required",
    "internal",
    "unavailable",
  ];
  return generic.find((kind) => STATUS[kind] === status) ?? null;
}

/** Every kind with its status and title, for the docs and their test. */
export const PROBLEM_KINDS = (Object.keys(STATUS) as ProblemKind[]).map((kind) => ({ kind, type: `${TYPE_PREFIX}${kind}`, status: STATUS[kind], title: TITLE[kind] }));

/** The result of a Durable Object operation: a value, or a problem to send to the client. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; problem: ProblemInit };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const fail = (p: ProblemInit): Outcome<never> => ({ ok: false, problem: p });

export const UNAUTHORIZED_HEADERS = { "WWW-Authenticate": 'Bearer realm="peerdir"' };
