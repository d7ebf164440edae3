/**
 * Who is handed out: live leases and pinned peers, with operator overrides applied.
 * Pure functions over the cluster's records, shared by the node route and the admin preview
 * so both give the same answer.
 */
import type { OverrideRecord } from "./records.js";
import { rendezvousPick } from "./rendezvous.js";

export interface HandoutEntry {
  id: string;
  /** The entry as handout JSON. */
  json: string;
}

export interface LeaseLike {
  id: string;
  json: string;
}

/**
 * Every peer any node may receive, sorted by id: live leases that are not drained or blocked,
 * with a pinned id's pinned addresses instead of its lease's, and pins without a lease.
 */
export function handoutPool(leases: Iterable<LeaseLike>, overrides: ReadonlyMap<string, OverrideRecord & { json?: string }>): HandoutEntry[] {
  const pool: HandoutEntry[] = [];
  for (const lease of leases) {
    if (!overrides.has(lease.id)) pool.push(lease);
  }
  for (const override of overrides.values()) {
    if (override.action === "pin" && override.json) pool.push({ id: override.node, json: override.json });
  }
  return pool.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** One requester's share of the pool: everyone but itself, or its stable rendezvous subset of `limit`. */
export function handoutFor(pool: readonly HandoutEntry[], requester: string, limit: number | null): HandoutEntry[] {
  const others = pool.filter((entry) => entry.id !== requester);
  return limit === null ? others : rendezvousPick(requester, others, limit, (entry) => entry.id);
}

export function handoutBody(version: number, entries: readonly HandoutEntry[]): string {
  let body = `{"version":${version},"peers":[`;
  for (let i = 0; i < entries.length; i++) body += (i ? "," : "") + entries[i].json;
  return `${body}]}`;
}
