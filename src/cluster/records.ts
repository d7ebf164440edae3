/**
 * The records a cluster holds, as the Durable Object keeps them in memory and in SQLite.
 */
import type { OverrideAction } from "../contract/overrides.js";
import type { ReachState } from "../contract/reachability.js";
import { type AddressPolicy, CLUSTER_DEFAULTS } from "../contract/lease-policy.js";
import type { TtlBounds } from "./leases.js";

export interface ClusterSettings extends TtlBounds {
  maxNodes: number;
  /** One request per this many seconds per node, sustained; 0 = no per-node limit. */
  minIntervalSeconds: number;
  /** Handout size when a request names no limit; null = every peer. */
  defaultLimit: number | null;
  /** 'observed-ip': a node may only advertise the IP address its requests come from. */
  addressPolicy: AddressPolicy;
  /** 'off': the cluster's agents probe no peer. */
  probing: "on" | "off";
  /** CIDR ranges the agents may probe; empty = any address. */
  probeRanges: string[];
}

export type { AddressPolicy };

export const DEFAULT_SETTINGS: ClusterSettings = { ...CLUSTER_DEFAULTS, probeRanges: [] };

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
  /** The stored expiry may be behind the real one (see ClusterCore's restart grace); storage only. */
  behind?: boolean;
}

export type { OverrideAction };

export interface OverrideRecord {
  node: string;
  action: OverrideAction;
  /** Only for actions that carry a peer (see OVERRIDES). */
  addrs: string[] | null;
  labels: Record<string, string> | null;
  reason: string;
  createdAt: number;
  expiresAt: number | null;
}

export type ActorKind = "admin" | "join-token" | "node" | "system";

export interface Actor {
  kind: ActorKind;
  id: string;
}

/** An admin action's actor: the name of the admin token used (`root` for the ADMIN_TOKEN). */
export const adminActor = (name: string): Actor => ({ kind: "admin", id: name });
export const ALARM_ACTOR: Actor = { kind: "system", id: "alarm" };

export interface AuditRecord {
  seq: number;
  at: number;
  actor: Actor;
  action: string;
  node: string | null;
  reason: string | null;
  before: unknown;
  after: unknown;
}

/**
 * What a handout contains for one peer, pre-serialised once per change, not per request. Only
 * departures from "ready, reachability unknown" are written, so most entries carry no marks.
 */
export function peerJson(record: { id: string; addrs: string[]; labels: Record<string, string> }, marks?: { ready: boolean; reach: ReachState }): string {
  const ready = marks && !marks.ready ? false : undefined;
  const reachability = marks && marks.reach !== "unknown" ? marks.reach : undefined;
  return JSON.stringify({ id: record.id, addrs: record.addrs, labels: record.labels, ready, reachability });
}

/** Labels in key order, so equal label sets compare and serialise equal. */
export function sortedLabels(labels: Record<string, string> | undefined | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!labels) return out;
  for (const key of Object.keys(labels).sort()) out[key] = labels[key];
  return out;
}
