/**
 * Per-target reachability evidence: which distinct reporters failed, and which succeeded, to
 * connect to each peer within a window of about 3 minutes, and the state that follows (see
 * `src/contract/reachability.ts` for the states).
 *
 * Rules that keep reports honest, applied here or by the caller (marked):
 * - one reporter counts once per target: its latest result replaces its earlier one;
 * - a node cannot report on itself, and a report names only peers in the reporter's own
 *   handout (the caller passes that check as `inHandout`);
 * - a success clears the failures before it, so "failed" always means "failed since the last
 *   success", and a failure older than the newest success is ignored;
 * - `unreachable` needs at least two distinct failed reporters (one in a cluster of two), so a
 *   single lying reporter cannot demote anyone;
 * - a report counts for the window, and for as long after as its reporter stays live: agents on
 *   the watch report only changes, so a live reporter's silence means its latest result still
 *   holds (the caller passes liveness as `isLive`), while a reporter that left ages out;
 * - memory is bounded: evidence of reporters gone for longer than the window is dropped, at most
 *   `maxReporters` reporters are kept per target (the oldest go first), and the caller forgets
 *   targets that leave the cluster;
 * - changed addresses clear a target's evidence (the caller calls `clear`);
 * - what storage must follow is told apart from what it need not: `takeTouched` names the
 *   targets whose reporters changed (a new reporter, a flip, one dropped), never one whose
 *   reporter only repeated its result (reach-facts.ts writes those, and only those).
 *
 * Runtime-free and synchronous: time is passed in, so unit tests drive it with a fake clock.
 */
import type { ReachState } from "../contract/reachability.js";

export interface ReachabilityOptions {
  /** How long a report counts. */
  windowMs: number;
  /** Reporters kept per target, each kind (failed, ok). */
  maxReporters: number;
  /** Whether a reporter's result about a target is stored (reach-facts.ts): beyond `maxReporters`, those go last. */
  kept: (target: string, reporter: string) => boolean;
}

export const REACHABILITY_WINDOW_MS = 180_000;
export const DEFAULT_REACHABILITY_OPTIONS: ReachabilityOptions = { windowMs: REACHABILITY_WINDOW_MS, maxReporters: 32, kept: () => false };

export interface ReachabilityView {
  state: ReachState;
  failedReporters: number;
  okReporters: number;
  /** When the newest report about the target was made (ms), or null without any. */
  checkedAt: number | null;
}

/** Whether a reporter still holds a live lease (its latest results stand while it does). */
export type IsLive = (reporter: string) => boolean;

const NOBODY_LIVE: IsLive = () => false;

/** One report: a reporter's latest result about one target, and when it was made (ms, directory clock). */
export interface ReachReport {
  target: string;
  result: "ok" | "failed" | "unknown";
  at: number;
}

interface Evidence {
  /** reporter → when it failed (all later than `newestOk`). */
  failed: Map<string, number>;
  /** reporter → when it succeeded. */
  ok: Map<string, number>;
  newestOk: number;
  checkedAt: number | null;
  /** The state last told to the caller. */
  state: ReachState;
}

const UNKNOWN_VIEW: ReachabilityView = { state: "unknown", failedReporters: 0, okReporters: 0, checkedAt: null };

/**
 * Inserts or moves `key` to the newest end, dropping the oldest beyond `max`; entries `kept`
 * (stored ones, whose eviction would cost writes) go last.
 */
function put(map: Map<string, number>, key: string, at: number, max: number, kept: (reporter: string) => boolean): void {
  map.delete(key);
  map.set(key, at);
  if (map.size > max) {
    let oldestKey = "";
    let oldestAt = Number.POSITIVE_INFINITY;
    let oldestKept = true;
    for (const [k, v] of map) {
      const isKept = kept(k);
      if ((oldestKept && !isKept) || (isKept === oldestKept && v < oldestAt)) {
        oldestAt = v;
        oldestKey = k;
        oldestKept = isKept;
      }
    }
    map.delete(oldestKey);
  }
}

/** Drops entries older than `notBefore` of reporters no longer live; true when any went. */
function prune(map: Map<string, number>, notBefore: number, isLive: IsLive): boolean {
  let dropped = false;
  for (const [k, v] of map) {
    if (v < notBefore && !isLive(k)) {
      map.delete(k);
      dropped = true;
    }
  }
  return dropped;
}

export class ReachabilityBook {
  readonly #targets = new Map<string, Evidence>();
  readonly #options: ReachabilityOptions;
  /** When evidence older than the window is next dropped (on the next report after it). */
  #nextSweep = 0;
  /** Targets whose reporters changed (who, or which result) since `takeTouched`: what storage must follow. */
  readonly #touched = new Set<string>();

  constructor(options: Partial<ReachabilityOptions> = {}) {
    this.#options = { ...DEFAULT_REACHABILITY_OPTIONS, ...options };
  }

  get windowMs(): number {
    return this.#options.windowMs;
  }

  /** How many targets have evidence kept. */
  get size(): number {
    return this.#targets.size;
  }

  /**
   * Takes one reporter's reports. Reports about the reporter itself, about peers outside its
   * handout, from the future (clamped to now) or older than the window are dropped; `unknown`
   * results carry no evidence. Returns the targets whose state changed.
   */
  ingest(reporter: string, reports: Iterable<ReachReport>, now: number, inHandout: (target: string) => boolean, clusterSize: number, isLive: IsLive = NOBODY_LIVE): string[] {
    const changed: string[] = [];
    const notBefore = now - this.#options.windowMs;
    for (const report of reports) {
      if (report.result === "unknown" || report.target === reporter) continue;
      const at = Math.min(report.at, now);
      // A live reporter's result stands however old (it reports changes only); a stale one from anyone else is dropped.
      if ((at < notBefore && !isLive(reporter)) || !inHandout(report.target)) continue;
      let evidence = this.#targets.get(report.target);
      if (!evidence) {
        evidence = { failed: new Map(), ok: new Map(), newestOk: Number.NEGATIVE_INFINITY, checkedAt: null, state: "unknown" };
        this.#targets.set(report.target, evidence);
      }
      if (report.result === "ok") {
        if (at <= (evidence.ok.get(reporter) ?? Number.NEGATIVE_INFINITY)) continue;
        if (!evidence.ok.has(reporter)) this.#touched.add(report.target);
        // A success clears every failure made before it, by anyone.
        for (const [k, v] of evidence.failed) {
          if (v > at) continue;
          evidence.failed.delete(k);
          this.#touched.add(report.target);
        }
        put(evidence.ok, reporter, at, this.#options.maxReporters, (r) => this.#options.kept(report.target, r));
        if (at > evidence.newestOk) evidence.newestOk = at;
      } else {
        if (at <= evidence.newestOk || at <= (evidence.failed.get(reporter) ?? Number.NEGATIVE_INFINITY)) continue;
        if (!evidence.failed.has(reporter)) this.#touched.add(report.target);
        // One reporter counts once: its failure replaces its own earlier success.
        evidence.ok.delete(reporter);
        put(evidence.failed, reporter, at, this.#options.maxReporters, (r) => this.#options.kept(report.target, r));
      }
      if (evidence.checkedAt === null || at > evidence.checkedAt) evidence.checkedAt = at;
      if (this.#settle(report.target, evidence, now, clusterSize, isLive)) changed.push(report.target);
    }
    return changed;
  }

  /** Sweeps at most six times per window, on reports: a sweep walks every target. */
  sweepIfDue(now: number, clusterSize: number, isLive: IsLive = NOBODY_LIVE): string[] {
    if (now < this.#nextSweep) return [];
    this.#nextSweep = now + Math.max(1_000, this.windowMs / 6);
    return this.sweep(now, clusterSize, isLive);
  }

  /** Drops evidence older than the window from reporters no longer live; returns the targets whose state changed with it. */
  sweep(now: number, clusterSize: number, isLive: IsLive = NOBODY_LIVE): string[] {
    const changed: string[] = [];
    for (const [target, evidence] of this.#targets) if (this.#settle(target, evidence, now, clusterSize, isLive)) changed.push(target);
    return changed;
  }

  /** Forgets a target's evidence (its addresses changed, or it left); true when its state was not unknown. */
  clear(target: string): boolean {
    const evidence = this.#targets.get(target);
    this.#targets.delete(target);
    if (evidence) this.#touched.add(target);
    return evidence !== undefined && evidence.state !== "unknown";
  }

  /**
   * Takes evidence back from storage after a restart or a wake: each reporter's result about a
   * target and when it was made. States are settled from it at once, without dropping anything
   * (the next sweep does, by the usual rules, since the clock of the restore may not be known).
   */
  restore(reports: Iterable<{ target: string; reporter: string; result: "ok" | "failed"; at: number }>, clusterSize: number): void {
    const touched = new Set<Evidence>();
    for (const r of reports) {
      let evidence = this.#targets.get(r.target);
      if (!evidence) {
        evidence = { failed: new Map(), ok: new Map(), newestOk: Number.NEGATIVE_INFINITY, checkedAt: null, state: "unknown" };
        this.#targets.set(r.target, evidence);
      }
      (r.result === "ok" ? evidence.ok : evidence.failed).set(r.reporter, r.at);
      if (r.result === "ok" && r.at > evidence.newestOk) evidence.newestOk = r.at;
      if (evidence.checkedAt === null || r.at > evidence.checkedAt) evidence.checkedAt = r.at;
      touched.add(evidence);
    }
    for (const evidence of touched) evidence.state = stateOf(evidence.failed.size, evidence.ok.size, clusterSize);
  }

  /** The reporters behind a target's state: who failed and who succeeded, and when (for storage). */
  reporters(target: string): { failed: ReadonlyMap<string, number>; ok: ReadonlyMap<string, number> } | null {
    const evidence = this.#targets.get(target);
    return evidence ? { failed: evidence.failed, ok: evidence.ok } : null;
  }

  /** The targets whose reporters changed since the last call (a repeated result changes nothing). */
  takeTouched(): string[] {
    const touched = [...this.#touched];
    this.#touched.clear();
    return touched;
  }

  /** The state last settled for `target` (what handouts show; moves only in ingest, sweep and clear). */
  state(target: string): ReachState {
    return this.#targets.get(target)?.state ?? "unknown";
  }

  /**
   * The evidence about `target` as last settled (for the admin view): the same state handouts
   * show, and the reporters behind it.
   */
  view(target: string): ReachabilityView {
    const evidence = this.#targets.get(target);
    if (!evidence) return UNKNOWN_VIEW;
    return { state: evidence.state, failedReporters: evidence.failed.size, okReporters: evidence.ok.size, checkedAt: evidence.checkedAt };
  }

  /** Counts of targets by settled state; targets without evidence are not counted (they are unknown). */
  counts(): Record<ReachState, number> {
    const counts: Record<ReachState, number> = { reachable: 0, unknown: 0, unreachable: 0 };
    for (const evidence of this.#targets.values()) counts[evidence.state]++;
    return counts;
  }

  /** Prunes `evidence` to the window and recomputes its state; true when the state changed. */
  #settle(target: string, evidence: Evidence, now: number, clusterSize: number, isLive: IsLive): boolean {
    const notBefore = now - this.#options.windowMs;
    const droppedFailed = prune(evidence.failed, notBefore, isLive);
    const droppedOk = prune(evidence.ok, notBefore, isLive);
    if (droppedFailed || droppedOk) this.#touched.add(target);
    const state = stateOf(evidence.failed.size, evidence.ok.size, clusterSize);
    const changed = state !== evidence.state;
    evidence.state = state;
    if (evidence.failed.size === 0 && evidence.ok.size === 0 && evidence.newestOk < notBefore) this.#targets.delete(target);
    return changed;
  }
}

/** The state that distinct failed and succeeded reporters (all failures newer than every success) give. */
export function stateOf(failedReporters: number, okReporters: number, clusterSize: number): ReachState {
  const needed = clusterSize <= 2 ? 1 : 2;
  if (failedReporters >= needed) return "unreachable";
  return okReporters > 0 ? "reachable" : "unknown";
}
