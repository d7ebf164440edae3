/**
 * The change log behind deltas: for every version, which pool entries changed, whether each was
 * handed out before, and its zone before. From that, any requester's handout at an older
 * version can be rebuilt exactly, so a delta is the difference of two handouts, not a guess.
 *
 * Kept for at least 1,000 versions and at least the cluster's max TTL, so a node that was away
 * for up to one lease still catches up with a delta; older versions get a full handout instead.
 */
import { type Candidate, type HandoutEntry, selectPeers } from "./selection.js";

export interface ChangeRecord {
  version: number;
  /** A node id, or RESYNC_ALL when every handout may have changed (e.g. the default limit). */
  node: string;
  wasPresent: boolean;
  wasZone: string | null;
  at: number;
}

export const RESYNC_ALL = "*";
export const KEEP_VERSIONS = 1000;

export interface PeerDelta {
  upserts: HandoutEntry[];
  removes: string[];
}

/** Index of the first record newer than `version` (the log is in version order). */
function firstAfter(log: readonly ChangeRecord[], version: number): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (log[mid].version <= version) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Each id changed after `since`, with its earliest change (what it was before), or null when a
 * change touched every handout.
 */
export function changedSince(log: readonly ChangeRecord[], since: number): Map<string, ChangeRecord> | null {
  const earliest = new Map<string, ChangeRecord>();
  for (let i = firstAfter(log, since); i < log.length; i++) {
    const change = log[i];
    if (change.node === RESYNC_ALL) return null;
    if (!earliest.has(change.node)) earliest.set(change.node, change);
  }
  return earliest;
}

/**
 * What changed for one requester between `since` and now, or null when it cannot be told (a
 * change that touched every handout). `pool` and `requesterZone` are the current ones.
 */
export function deltaSince(
  log: readonly ChangeRecord[],
  since: number,
  pool: readonly HandoutEntry[],
  requester: string,
  requesterZone: string | null,
  limit: number | null,
): PeerDelta | null {
  const earliest = changedSince(log, since);
  if (earliest === null) return null;
  if (earliest.size === 0) return { upserts: [], removes: [] };
  if (limit === null) return unlimitedDelta(earliest, (id) => findById(pool, id), requester, requesterZone);

  // The pool as it was at `since`: unchanged entries as they are, changed ones as they were.
  const then: Candidate[] = [];
  for (const entry of pool) if (!earliest.has(entry.id)) then.push(entry);
  for (const change of earliest.values()) if (change.wasPresent) then.push({ id: change.node, zone: change.wasZone });
  then.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const zoneThen = earliest.has(requester) ? earliest.get(requester)!.wasZone : requesterZone;

  const before = new Set(selectPeers(then, requester, zoneThen, limit).map((c) => c.id));
  const now = selectPeers(pool, requester, requesterZone, limit);
  const upserts = now.filter((entry) => !before.has(entry.id) || earliest.has(entry.id));
  const kept = new Set(now.map((entry) => entry.id));
  const removes = [...before].filter((id) => !kept.has(id));
  return { upserts, removes };
}

/** The entry with `id` in a pool sorted by id, by binary search. */
function findById(pool: readonly HandoutEntry[], id: string): HandoutEntry | undefined {
  let lo = 0;
  let hi = pool.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = pool[mid].id;
    if (at === id) return pool[mid];
    if (at < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/**
 * Without a limit, a handout is the whole pool but the requester, so only the changed ids can
 * differ: O(changes) lookups, which matters when every change is pushed to many watchers of a
 * large cluster. A requester that is not among the changed ids only decides the order (its zone
 * first), so every such requester of one zone gets the same delta (handout-bodies.ts shares it).
 */
export function unlimitedDelta(
  earliest: ReadonlyMap<string, ChangeRecord>,
  entryOf: (id: string) => HandoutEntry | undefined,
  requester: string,
  requesterZone: string | null,
): PeerDelta {
  const upserts: HandoutEntry[] = [];
  const removes: string[] = [];
  for (const [id, change] of earliest) {
    if (id === requester) continue;
    const entry = entryOf(id);
    if (entry) upserts.push(entry);
    else if (change.wasPresent) removes.push(id);
  }
  const rank = (e: HandoutEntry) => (requesterZone !== null && e.zone === requesterZone ? 0 : 1);
  upserts.sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { upserts, removes: removes.sort() };
}
