/**
 * The one line the CLI prints when the directory refuses a request, from its problem+json.
 *
 * The directory's 400 detail usually already lists the field errors; they are appended only when
 * it does not, so the line names every offending field exactly once.
 */
import type { Problem } from "../contract/schemas.js";
import { clean } from "./table.js";

const HINTS: Record<number, string> = {
  401: "check PEERDIR_ADMIN_TOKEN or --token-file",
};

export function formatProblem(problem: Problem): string {
  const detail = problem.detail.trim();
  const missing = (problem.errors ?? []).filter((e) => !detail.includes(`${e.pointer}: ${e.detail}`)).map((e) => `${e.pointer || "/"}: ${e.detail}`);
  let line = `peerdir: ${problem.title} (${problem.status})`;
  if (detail) line += `: ${detail}`;
  if (missing.length > 0) line += `${detail ? "; " : ": "}${missing.join("; ")}`;
  const hint = HINTS[problem.status];
  if (hint) line += ` (${hint})`;
  // The detail may echo client-controlled input (a node's label, a reason); keep it one harmless line.
  return clean(line);
}
