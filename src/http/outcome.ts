/** Unwraps a Durable Object `Outcome`: the value, or the problem thrown for `renderError`. */
import type { Outcome } from "../problem.js";
import { ProblemError } from "./errors.js";

export function unwrap<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new ProblemError(outcome.problem);
  return outcome.value;
}
