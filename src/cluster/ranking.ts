/**
 * One bounded watcher's ranking of the pool: the peers it holds, best first, by the same rule
 * as `selectPeers` (same-zone peers before others, each by rendezvous weight, ties by id), so
 * its first `limit` ids are exactly that watcher's handout.
 *
 * It keeps `limit` plus a reserve of the next best peers: a peer that leaves a handout is
 * replaced from the reserve in O(k), and only a watcher whose reserve ran dry rescans the pool.
 * A fill takes `limit + reserve`; joins may grow that by another reserve before the last is
 * dropped, so a join and a leave cost the reserve nothing, and only a run of leaves that outnumber
 * joins by a whole reserve ever costs a rescan.
 * A peer outside the ranking ranks below all of it (the ranking is the exact top of the pool),
 * so whether a joining peer enters is one hash and one comparison against the last key.
 *
 * A key folds the zone rule into one number: weights are integers below 2^53, a same-zone
 * peer's key is its weight and any other's is its weight minus 2^53 (still exact), so every
 * same-zone key is above every other key.
 */
import type { Candidate } from "./selection.js";
import { type RequesterSeed, requesterSeed, weightFrom } from "./rendezvous.js";

const ZONE_OFFSET = 2 ** 53;

/** Spare peers kept beyond the limit, so a departure rarely costs a rescan. */
export function reserveFor(limit: number): number {
  return Math.ceil(limit / 8) + 2;
}

export class Ranking {
  readonly seed: RequesterSeed;
  /** Peer ids, best first. */
  readonly ids: string[] = [];
  /** Their keys, in the same order (a fixed typed array: 8 bytes per place, no slack). */
  readonly keys: Float64Array;
  /** Whether the ranking holds every candidate (the pool is smaller than limit + reserve). */
  complete = true;

  constructor(
    readonly node: string,
    readonly limit: number,
    readonly zone: string | null,
  ) {
    this.seed = requesterSeed(node);
    this.keys = new Float64Array(this.capacity + 1);
  }

  /** What a fill takes. */
  get target(): number {
    return this.limit + reserveFor(this.limit);
  }

  /** The most it holds before dropping its last. */
  get capacity(): number {
    return this.limit + 2 * reserveFor(this.limit);
  }

  keyOf(peer: Candidate): number {
    const weight = weightFrom(this.seed, peer.id);
    return this.zone !== null && peer.zone === this.zone ? weight : weight - ZONE_OFFSET;
  }

  /** Whether a peer with this key and id would be held (it ranks above the last one held). */
  admits(key: number, id: string): boolean {
    if (this.complete) return true;
    const last = this.ids.length - 1;
    return key > this.keys[last] || (key === this.keys[last] && id < this.ids[last]);
  }

  /** Position of `id` in the handout (below `limit`), in the reserve (at or above), or -1. */
  indexOf(id: string): number {
    return this.ids.indexOf(id);
  }

  /** Inserts a peer the ranking admits; returns the id pushed out past `cap`, if any. */
  insert(id: string, key: number, cap = this.capacity): string | null {
    const length = this.ids.length;
    let lo = 0;
    let hi = length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid] > key || (this.keys[mid] === key && this.ids[mid] < id)) lo = mid + 1;
      else hi = mid;
    }
    this.ids.splice(lo, 0, id);
    this.keys.copyWithin(lo + 1, lo, length);
    this.keys[lo] = key;
    if (this.ids.length <= cap) return null;
    this.complete = false;
    return this.ids.pop()!;
  }

  /** Drops a held peer; true when the handout can no longer be filled from what is held. */
  remove(at: number): boolean {
    this.keys.copyWithin(at, at + 1, this.ids.length);
    this.ids.splice(at, 1);
    return !this.complete && this.ids.length < this.limit;
  }

  /** The ids in the handout: the first `limit`. */
  handout(): string[] {
    return this.ids.slice(0, this.limit);
  }

  /** Fills the ranking from every candidate (any order), replacing what it held. */
  fill(candidates: Iterable<Candidate>): void {
    this.ids.length = 0;
    this.complete = true;
    const target = this.target;
    for (const peer of candidates) {
      if (peer.id === this.node) continue;
      const key = this.keyOf(peer);
      if (this.ids.length < target || this.admits(key, peer.id)) this.insert(peer.id, key, target);
    }
  }
}
