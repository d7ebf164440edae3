/**
 * Readiness and reachability evidence as node facts (node-facts.ts), so that what the directory
 * knows outlasts hibernation and restarts, at the cost of a row per change and none per report.
 *
 * - Readiness: the fact `ready` = "false" while a node says it is not ready; no row while ready.
 * - Reachability: on the target, one fact `reach:<reporter>` = "failed" | "ok" for a bounded
 *   number of the reporters whose result counts: `FAILED_REPORTERS_STORED` failed ones (two make
 *   `unreachable`; one more survives one of them leaving) and `OK_REPORTERS_STORED` ok ones (one
 *   makes `reachable`). Storing every reporter would cost a row per holder of the peer for each
 *   of its flips: thousands in a large cluster of full lists. Reporters already stored are kept
 *   in preference, so a restated result (an agent's new socket restates everything) or one more
 *   reporter saying the same writes nothing. After a restart the admin view counts the stored
 *   reporters until the next reports add the rest back.
 *
 * Runtime-free: it works on the book and the facts, both plain.
 */
import type { NodeFacts, NodeFactRecord } from "./node-facts.js";
import type { ReachabilityBook } from "./reachability.js";

export const READY_FACT = "ready";
const REACH_PREFIX = "reach:";
/** Ok reporters stored per target: one makes `reachable`; two survive one of them leaving. */
export const OK_REPORTERS_STORED = 2;
/** Failed reporters stored per target: two make `unreachable`; three survive one of them leaving. */
export const FAILED_REPORTERS_STORED = 3;

/** Whether `reporter`'s result about `target` is stored. */
export function isStoredReporter(facts: NodeFacts, target: string, reporter: string): boolean {
  return facts.get(target, REACH_PREFIX + reporter) !== undefined;
}

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
    const stored = facts.of(target);
    // Of each kind, reporters already stored as such first (no write), then the newest others, up to the bound.
    const pick = (kind: "ok" | "failed", from: ReadonlyMap<string, number>, bound: number) => {
      const storedAs = (reporter: string) => Number(stored.get(REACH_PREFIX + reporter)?.value === kind);
      const chosen = [...from].sort(([a, atA], [b, atB]) => storedAs(b) - storedAs(a) || atB - atA).slice(0, bound);
      for (const [reporter, at] of chosen) want.set(reporter, { value: kind, at });
    };
    pick("failed", reporters.failed, FAILED_REPORTERS_STORED);
    pick("ok", reporters.ok, OK_REPORTERS_STORED);
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
