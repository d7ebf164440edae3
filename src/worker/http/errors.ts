/**
 * Errors, thrown as one exception type and rendered in one place (as Hono does with
 * HTTPException): every failure leaves the Worker as `application/problem+json`.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { type FieldError, kindOfStatus, problem, type ProblemInit, type ProblemKind } from "../../contract/problem.js";
import { problemResponse } from "../refusals.js";
import { TokenKeyError } from "../token-mac.js";

export class ProblemError extends Error {
  constructor(readonly problem: ProblemInit) {
    super(problem.detail);
    this.name = "ProblemError";
  }
}

export function raise(kind: ProblemKind, detail: string, extra?: Pick<ProblemInit, "errors" | "headers">): never {
  throw new ProblemError(problem(kind, detail, extra));
}

/** Seconds an overloaded directory asks clients to wait; agents spread their return over up to as long again. */
export const OVERLOAD_RETRY_AFTER_SECONDS = 10;

/** A Durable Object that sheds load throws an error marked `overloaded` (Cloudflare's documented flag). */
function isOverloaded(err: Error): boolean {
  return (err as { overloaded?: unknown }).overloaded === true;
}

/** The app's single error handler. Anything unexpected is logged (never the request's token) and is a 500. */
export function renderError(err: Error, c: Context): Response {
  if (err instanceof ProblemError) return problemResponse(err.problem);
  // A deployment without TOKEN_KEY: say what to set (the message names only the binding).
  if (err instanceof TokenKeyError) return problemResponse(problem("internal", err.message));
  const kind = err instanceof HTTPException && err.status < 500 ? kindOfStatus(err.status) : null;
  if (kind && err instanceof HTTPException) {
    const detail = err.status === 415 ? "send the body as JSON with Content-Type: application/json" : err.message || `request rejected with status ${err.status}`;
    return problemResponse(problem(kind, detail));
  }
  if (isOverloaded(err)) {
    return problemResponse(
      problem("unavailable", "the directory is overloaded; retry after the time in Retry-After", {
        headers: { "Retry-After": String(OVERLOAD_RETRY_AFTER_SECONDS) },
      }),
    );
  }
  console.error(`peerdir: unhandled error on ${c.req.method} ${new URL(c.req.url).pathname}:`, err);
  return problemResponse(problem("internal", "the directory hit an unexpected error; it has been logged"));
}

export function fieldErrorsFromZod(issues: readonly { path: readonly PropertyKey[]; message: string; code?: string; keys?: readonly string[] }[], prefix: string): FieldError[] {
  const escapeSegment = (segment: PropertyKey) => String(segment).replaceAll("~", "~0").replaceAll("/", "~1");
  const errors: FieldError[] = [];
  for (const issue of issues) {
    const base = prefix + issue.path.map((s) => `/${escapeSegment(s)}`).join("");
    if (issue.code === "unrecognized_keys" && issue.keys) {
      for (const key of issue.keys) errors.push({ pointer: `${base}/${escapeSegment(key)}`, detail: "unknown field" });
    } else {
      errors.push({ pointer: base || "/", detail: issue.message });
    }
  }
  return errors;
}
