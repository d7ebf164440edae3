/**
 * Targeted fan-out: which watchers a change reaches, from an index instead of rebuilding every
 * watcher's handout. Memory only; after a start or a wake it is rebuilt on the first change, each
 * watcher ranked as its handout was before that change (the change log says what changed), then
 * brought forward like any other: one pass over the pool per watcher, once.
 *
 * - A bounded watcher (a limit) keeps its ranking (ranking.ts): its handout plus a small
 *   reserve. A reverse index maps each peer to the watchers whose ranking holds it.
 * - A peer that joins, or whose zone changes, is offered to every bounded watcher: one hash
 *   and one comparison each; only those it enters are touched.
 * - A peer that leaves (expiry, block, drain, evict: it is no longer in the pool) reaches only
 *   its holders, each taking its replacement from its reserve.
 * - A peer whose content changes in place (addresses, labels, readiness or reachability tier)
 *   reaches only the watchers whose handout holds it.
 * - Watchers of full lists all see every change: they share one message per zone (handout-bodies.ts).
 *
 * The result of a pass is, per watcher, the difference of its handout before and after, so it
 * equals what a full recompute (changelog.ts `deltaSince`) gives; the unit tests check that.
 */
import type { ChangeRecord, PeerDelta } from "./changelog.js";
import type { Candidate, HandoutEntry } from "./selection.js";
import { Ranking } from "./ranking.js";

export interface FanOutSource {
  /** What `id` is handed out as now, or undefined when it is not in the pool. */
  entry(id: string): HandoutEntry | undefined;
  /** Every entry of the pool, in any order. */
  candidates(): Iterable<Candidate>;
  /** A requester's zone now. */
  zoneOf(node: string): string | null;
}

/** One watch: a node and the limit it asked for, however many sockets share it. */
export interface Watch {
  readonly key: string;
  readonly node: string;
  readonly requested: number | undefined;
  sockets: number;
  /** The effective limit (null: full list). */
  limit: number | null;
  /** A bounded watch's ranking, once built. */
  ranking: Ranking | null;
  /** The version its sockets were brought to when it was opened (null: unknown, as after a wake). */
  openedAt: number | null;
}

/** What a pass found for the bounded watchers. */
export interface BoundedPass {
  /** Watches whose handout changed, with the change. */
  deltas: Map<Watch, PeerDelta>;
  /** Watches that had no ranking and whose own node changed: they need their whole handout (they have a ranking now). */
  unindexed: Watch[];
}

export const watchKey = (node: string, requested: number | undefined): string => `${node}\n${requested ?? ""}`;

export class FanOut {
  readonly #watches = new Map<string, Watch>();
  readonly #byNode = new Map<string, Watch[]>();
  /** Peer id → the bounded watches whose ranking holds it (handout or reserve). */
  readonly #holders = new Map<string, Watch[]>();
  /** The version the rankings reflect (null: none is trusted). */
  #version: number | null = null;

  get watches(): IterableIterator<Watch> {
    return this.#watches.values();
  }

  get(key: string): Watch | undefined {
    return this.#watches.get(key);
  }

  /**
   * A socket started watching; returns its watch. `openedAt`: the version the socket was just
   * brought to, or null for a socket found open (after a start or a wake).
   */
  add(node: string, requested: number | undefined, defaultLimit: number | null, openedAt: number | null): Watch {
    const key = watchKey(node, requested);
    let watch = this.#watches.get(key);
    if (watch === undefined) {
      watch = { key, node, requested, sockets: 0, limit: requested ?? defaultLimit, ranking: null, openedAt };
      this.#watches.set(key, watch);
      const same = this.#byNode.get(node);
      if (same) same.push(watch);
      else this.#byNode.set(node, [watch]);
    }
    watch.sockets++;
    return watch;
  }

  /** A socket stopped watching; the watch goes with its last socket. */
  remove(key: string): void {
    const watch = this.#watches.get(key);
    if (watch === undefined || --watch.sockets > 0) return;
    this.#watches.delete(key);
    const same = this.#byNode.get(watch.node)!;
    same.splice(same.indexOf(watch), 1);
    if (same.length === 0) this.#byNode.delete(watch.node);
    this.#unindex(watch);
  }

  /**
   * Forgets every ranking (every handout may have changed, or the default limit did): each
   * watch is indexed again the next time, from `version`.
   */
  reset(version: number, defaultLimit: number | null): void {
    this.#holders.clear();
    for (const watch of this.#watches.values()) {
      watch.ranking = null;
      watch.openedAt = null;
      watch.limit = watch.requested ?? defaultLimit;
    }
    this.#version = version;
  }

  /**
   * Brings every bounded watch from `since` to `version`, given what changed in between (each id
   * with its earliest change). Rankings that reflect another version are dropped first.
   */
  passBounded(since: number, version: number, changed: ReadonlyMap<string, ChangeRecord>, source: FanOutSource): BoundedPass {
    if (this.#version !== since) {
      this.#holders.clear();
      for (const watch of this.#watches.values()) watch.ranking = null;
    }
    this.#version = version;
    const unindexed: Watch[] = [];
    const opened: Watch[] = [];
    const bounded: Watch[] = [];
    for (const watch of this.#watches.values()) {
      if (watch.limit === null) continue;
      if (watch.ranking !== null) bounded.push(watch);
      // One opened at this version needs no delta: it is only indexed (once the changes are in).
      else if (watch.openedAt === version) opened.push(watch);
      // A requester that itself changed may have changed zones: it is sent its whole handout.
      else if (changed.has(watch.node)) unindexed.push(watch);
      else {
        // Found open after a wake: ranked as its handout was at `since`, then brought forward below.
        this.#index(watch, source, candidatesAt(changed, source));
        bounded.push(watch);
      }
    }
    const before = new Map<Watch, string[]>();
    const touch = (watch: Watch) => {
      if (!before.has(watch)) before.set(watch, watch.ranking!.handout());
    };
    const rescan = new Set<Watch>();
    for (const [id, change] of changed) {
      // A requester that moved zones ranks everything anew.
      for (const watch of this.#byNode.get(id) ?? []) {
        if (watch.ranking !== null && watch.ranking.zone !== source.zoneOf(id)) {
          touch(watch);
          rescan.add(watch);
        }
      }
      const now = source.entry(id);
      const holders = this.#holders.get(id);
      if (change.wasPresent && now !== undefined && change.wasZone === now.zone) {
        // Same place in every ranking: only the handouts that show it change.
        for (const watch of holders ?? []) if (watch.ranking!.indexOf(id) < watch.limit!) touch(watch);
        continue;
      }
      if (holders !== undefined) {
        this.#holders.delete(id);
        for (const watch of holders) {
          touch(watch);
          if (watch.ranking!.remove(watch.ranking!.indexOf(id))) rescan.add(watch);
        }
      }
      if (now === undefined) continue;
      for (const watch of bounded) {
        const ranking = watch.ranking!;
        if (watch.node === id) continue;
        const key = ranking.keyOf(now);
        if (!ranking.admits(key, id)) continue;
        touch(watch);
        this.#hold(id, watch);
        const out = ranking.insert(id, key);
        if (out !== null) this.#release(out, watch);
      }
    }
    for (const watch of rescan) this.#index(watch, source);
    for (const watch of unindexed) this.#index(watch, source);
    for (const watch of opened) this.#index(watch, source);
    const deltas = new Map<Watch, PeerDelta>();
    for (const [watch, handout] of before) {
      const delta = difference(handout, watch.ranking!, changed, source);
      if (delta.upserts.length > 0 || delta.removes.length > 0) deltas.set(watch, delta);
    }
    return { deltas, unindexed };
  }

  #index(watch: Watch, source: FanOutSource, candidates: Iterable<Candidate> = source.candidates()): void {
    this.#unindex(watch);
    const ranking = new Ranking(watch.node, watch.limit!, source.zoneOf(watch.node));
    ranking.fill(candidates);
    watch.ranking = ranking;
    for (const id of ranking.ids) this.#hold(id, watch);
  }

  #unindex(watch: Watch): void {
    if (watch.ranking === null) return;
    for (const id of watch.ranking.ids) this.#release(id, watch);
    watch.ranking = null;
  }

  #hold(id: string, watch: Watch): void {
    const holders = this.#holders.get(id);
    if (holders) holders.push(watch);
    else this.#holders.set(id, [watch]);
  }

  #release(id: string, watch: Watch): void {
    const holders = this.#holders.get(id);
    if (!holders) return;
    const at = holders.indexOf(watch);
    if (at < 0) return;
    holders[at] = holders[holders.length - 1];
    holders.pop();
    if (holders.length === 0) this.#holders.delete(id);
  }
}

/** The pool as it was before `changed`: unchanged entries as they are, changed ones as they were. */
function* candidatesAt(changed: ReadonlyMap<string, ChangeRecord>, source: FanOutSource): Generator<Candidate> {
  for (const entry of source.candidates()) if (!changed.has(entry.id)) yield entry;
  for (const change of changed.values()) if (change.wasPresent) yield { id: change.node, zone: change.wasZone };
}

/** A handout's change: what it shows now that it did not, or that changed; what it no longer shows. */
function difference(before: readonly string[], ranking: Ranking, changed: ReadonlyMap<string, ChangeRecord>, source: FanOutSource): PeerDelta {
  const after = ranking.handout();
  const was = new Set(before);
  const is = new Set(after);
  const upserts: HandoutEntry[] = [];
  for (const id of after) if (!was.has(id) || changed.has(id)) upserts.push(source.entry(id)!);
  // In handout order as selectPeers gives it: the requester's zone first, each part by id.
  const rank = (e: HandoutEntry) => (ranking.zone !== null && e.zone === ranking.zone ? 0 : 1);
  upserts.sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const removes = before.filter((id) => !is.has(id)).sort();
  return { upserts, removes };
}
