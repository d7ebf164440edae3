/**
 * Problem details (RFC 9457): the one shape every failure takes, on both sides of the
 * Worker / Durable Object boundary.
 *
 * The Durable Object returns problems as plain data inside an `Outcome` (RPC does not carry
 * custom error classes); the HTTP layer throws them as `ProblemError` and renders them in one
 * place. Each kind has a stable `type` URI so clients can branch on it without parsing text.
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
  | "not-found"
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
  "not-found": 404,
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
  "not-found": "Not found",
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
  /** Extra response headers (Retry-After, Allow, WWW-Authenticate). Not part of the body. */
  headers?: Record<string, string>;
}

export function problem(kind: ProblemKind, detail: string, extra?: Pick<ProblemInit, "errors" | "headers">): ProblemInit {
  return { type: `urn:peerdir:problem:${kind}`, title: TITLE[kind], status: STATUS[kind], detail, ...extra };
}

/** The result of a Durable Object operation: a value, or a problem to send to the client. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; problem: ProblemInit };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const fail = (p: ProblemInit): Outcome<never> => ({ ok: false, problem: p });

export const UNAUTHORIZED_HEADERS = { "WWW-Authenticate": 'Bearer realm="peerdir"' };
