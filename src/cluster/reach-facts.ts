/**
 * Readiness and reachability evidence as node facts (node-facts.ts), so that what the directory
 * knows outlasts hibernation and restarts, at the cost of a row per change and none per report.
 *
 * - Readiness: the fact `ready` = "false" while a node says it is not ready; no row while ready.
 * - Reachability: on the target, one fact `reach:<reporter>` = "failed" | "ok" per reporter
 *   whose result counts. Every failed reporter is kept (up to the book's cap), since
 *   `unreachable` needs two of them; of the ok reporters only `OK_REPORTERS_STORED`, since one
 *   is enough for `reachable` and a healthy cluster's every reporter saying "ok" about every
 *   peer would otherwise be a row each. Ok reporters already stored are kept in preference, so a
 *   restated "ok" (an agent's new socket restates everything) writes nothing.
 *
 * Runtime-free: it works on the book and the facts, both plain.
 */
import type { NodeFacts, NodeFactRecord } from "./node-facts.js";
import type { ReachabilityBook } from "./reachability.js";

export const READY_FACT = "ready";
const REACH_PREFIX = "reach:";
/** Ok reporters stored per target: one makes `reachable`; two survive one of them leaving. */
export const OK_REPORTERS_STORED = 2;

/** Stores a node's readiness: a row only when it flips. */
export function saveReadiness(facts: NodeFacts, node: string, ready: boolean, now: number): void {
  if (ready) facts.delete(node, READY_FACT);
  else facts.set(node, READY_FACT, "false", now);
}

/** Whether storage says `node` is ready (no fact: ready). */
export function storedReadiness(facts: NodeFacts, node: string): boolean {
  return facts.get(node, READY_FACT)?.value !== "false";
}

/** Brings the stored evidence of every target whose reporters changed in line with the book. */
export function saveEvidence(facts: NodeFacts, book: ReachabilityBook): void {
  for (const target of book.takeTouched()) saveTarget(facts, book, target);
}

function saveTarget(facts: NodeFacts, book: ReachabilityBook, target: string): void {
  const reporters = book.reporters(target);
  const want = new Map<string, { value: string; at: number }>();
  if (reporters) {
    for (const [reporter, at] of reporters.failed) want.set(reporter, { value: "failed", at });
    // Ok reporters already stored first (no write), then the newest others, up to the bound.
    const stored = facts.of(target);
    const ok = [...reporters.ok].sort(
      ([a, atA], [b, atB]) => Number(stored.get(REACH_PREFIX + b)?.value === "ok") - Number(stored.get(REACH_PREFIX + a)?.value === "ok") || atB - atA,
    );
    for (const [reporter, at] of ok.slice(0, OK_REPORTERS_STORED)) want.set(reporter, { value: "ok", at });
  }
  for (const [name] of [...facts.of(target)]) {
    if (name.startsWith(REACH_PREFIX) && !want.has(name.slice(REACH_PREFIX.length))) facts.delete(target, name);
  }
  for (const [reporter, { value, at }] of want) facts.set(target, REACH_PREFIX + reporter, value, at);
}

/** The stored reachability evidence, as the book restores it. */
export function storedEvidence(records: readonly NodeFactRecord[]): { target: string; reporter: string; result: "ok" | "failed"; at: number }[] {
  const out: { target: string; reporter: string; result: "ok" | "failed"; at: number }[] = [];
  for (const r of records) {
    if (!r.name.startsWith(REACH_PREFIX) || (r.value !== "ok" && r.value !== "failed")) continue;
    out.push({ target: r.node, reporter: r.name.slice(REACH_PREFIX.length), result: r.value, at: r.at });
  }
  return out;
}
