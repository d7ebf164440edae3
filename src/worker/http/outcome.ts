/** Unwraps Durable Object results into responses. */
import type { TypedResponse } from "hono";
import type { Outcome } from "../../contract/problem.js";
import { ProblemError } from "./errors.js";

export function unwrap<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new ProblemError(outcome.problem);
  return outcome.value;
}

/**
 * A JSON body the Durable Object already serialised (handouts are joined from cached
 * fragments), sent as-is, typed as the route's declared response.
 */
export function preserializedJson<T, S extends 200 | 201 = 200>(body: string, headers: Record<string, string> = {}, status: S = 200 as S): Response & TypedResponse<T, S, "json"> {
  return new Response(body, { status, headers: { "Content-Type": "application/json", ...headers } }) as Response & TypedResponse<T, S, "json">;
}
