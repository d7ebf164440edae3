/**
 * The records a cluster holds, as the Durable Object keeps them in memory and in SQLite.
 */
import type { TtlBounds } from "./leases.js";

export interface ClusterSettings extends TtlBounds {
  maxNodes: number;
}

export const DEFAULT_MAX_NODES = 10_000;

export interface ClusterMeta {
  name: string;
  createdAt: number;
  version: number;
  settings: ClusterSettings;
}

export interface JoinTokenRecord {
  id: string;
  hash: string;
  createdAt: number;
  expiresAt: number | null;
}

/** A node id's row: its credential, and its lease while it has one (`endedAt === null`). */
export interface NodeRecord {
  id: string;
  credentialHash: string;
  addrs: string[];
  labels: Record<string, string>;
  ttlSeconds: number;
  registeredAt: number;
  lastRenewedAt: number;
  expiresAt: number;
  /** When the lease ended (left or expired, as processed); null while leased. */
  endedAt: number | null;
  observedIp: string | null;
}

/** What a handout contains for one peer, pre-serialised once per change, not per request. */
export function peerJson(record: Pick<NodeRecord, "id" | "addrs" | "labels">): string {
  return JSON.stringify({ id: record.id, addrs: record.addrs, labels: record.labels });
}

/** Labels in key order, so equal label sets compare and serialise equal. */
export function sortedLabels(labels: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!labels) return out;
  for (const key of Object.keys(labels).sort()) out[key] = labels[key];
  return out;
}
