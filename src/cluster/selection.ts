/**
 * Who is handed out, and to whom: live leases and pinned peers with operator overrides applied,
 * then each requester's share of them. Pure functions over the cluster's records, shared by the
 * node route, the admin preview, deltas and watchers, so all of them give the same answer.
 */
import type { OverrideRecord } from "./records.js";
import { rendezvousPick } from "./rendezvous.js";

/** The label that places a node in a zone; same-zone peers are preferred. */
export const ZONE_LABEL = "zone";

export interface Candidate {
  id: string;
  zone: string | null;
}

export interface HandoutEntry extends Candidate {
  /** The entry as handout JSON. */
  json: string;
  /** Its place in handout order (reachability; see handoutTier); none for "ready, unknown". */
  tier?: number;
}

const byId = (a: Candidate, b: Candidate) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Every peer any node may receive, sorted by id: live leases that are not drained or blocked,
 * with a pinned id's pinned addresses instead of its lease's, and pins without a lease (an
 * override carries an entry exactly when its action carries a peer).
 */
export function handoutPool(leases: Iterable<HandoutEntry>, overrides: ReadonlyMap<string, OverrideRecord & { entry?: HandoutEntry }>): HandoutEntry[] {
  const pool: HandoutEntry[] = [];
  for (const lease of leases) if (!overrides.has(lease.id)) pool.push(lease);
  for (const override of overrides.values()) if (override.entry) pool.push(override.entry);
  return pool.sort(byId);
}

/**
 * One requester's share of the pool (sorted by id), without the requester itself.
 *
 * With a limit, the subset is chosen by rendezvous hashing, so it is stable; a requester with
 * a zone takes same-zone peers first and fills up from other zones. The result lists same-zone
 * peers first (clients such as spegel use only the first few), each group sorted by id.
 */
export function selectPeers<T extends Candidate>(pool: readonly T[], requester: string, requesterZone: string | null, limit: number | null): T[] {
  const same: T[] = [];
  const other: T[] = [];
  for (const entry of pool) {
    if (entry.id === requester) continue;
    (requesterZone !== null && entry.zone === requesterZone ? same : other).push(entry);
  }
  if (limit === null) return same.length ? [...same, ...other] : other;
  const near = rendezvousPick(requester, same, limit, (e) => e.id);
  const far = near.length < limit ? rendezvousPick(requester, other, limit - near.length, (e) => e.id) : [];
  return [...near, ...far];
}

export function handoutBody(version: number, entries: readonly HandoutEntry[], degraded: boolean): string {
  let body = `{"version":${version},`;
  if (degraded) body += `"degraded":true,`;
  body += `"peers":[`;
  for (let i = 0; i < entries.length; i++) body += (i ? "," : "") + entries[i].json;
  return `${body}]}`;
}

export function zoneOf(labels: Record<string, string> | null | undefined): string | null {
  return labels?.[ZONE_LABEL] ?? null;
}
