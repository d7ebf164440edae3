/**
 * Records as the wire contract shows them: epoch milliseconds become ISO 8601 strings.
 */
import type { AuditEntry, NodeView, Override } from "../contract/admin.js";
import type { ConsumerLoopRecord } from "./consumer-loops.js";
import { carriesPeer, nodeState, OVERRIDES } from "../contract/overrides.js";
import type { LeaseTable } from "./lease-table.js";
import type { Overrides } from "./overrides.js";
import type { AuditRecord, OverrideRecord } from "./records.js";

export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function presentOverride(o: OverrideRecord): Override {
  return {
    node: o.node,
    action: o.action,
    ...(carriesPeer(o.action) ? { addrs: o.addrs ?? [], labels: o.labels ?? {} } : {}),
    reason: o.reason,
    createdAt: new Date(o.createdAt).toISOString(),
    expiresAt: isoOrNull(o.expiresAt),
  };
}

export function presentAudit(e: AuditRecord): AuditEntry {
  return {
    seq: e.seq,
    at: new Date(e.at).toISOString(),
    actor: e.actor,
    action: e.action,
    node: e.node,
    reason: e.reason,
    // Audit snapshots are built from JSON-safe records (audit.ts) and stored as JSON.
    before: (e.before ?? null) as AuditEntry["before"],
    after: (e.after ?? null) as AuditEntry["after"],
  };
}

const NO_CONSUMER_LOOP: NodeView["consumers"] = { looping: false, requestsPerMinute: 0, endpoint: null, since: null };

export function presentConsumers(record: ConsumerLoopRecord | undefined): NodeView["consumers"] {
  return record
    ? { looping: record.looping, requestsPerMinute: record.requestsPerMinute, endpoint: record.endpoint, since: new Date(record.since).toISOString() }
    : NO_CONSUMER_LOOP;
}

/** The admin nodes view: every live lease and refused (blocked) id with its state, and every pinned peer, by id. */
export function nodeViews(leases: LeaseTable, overrides: Overrides, reachability: (id: string) => NodeView["reachability"]): Omit<NodeView, "transport">[] {
  const rows: Omit<NodeView, "transport">[] = [];
  const unknown = { state: "unknown", failedReporters: 0, okReporters: 0, checkedAt: null } as const;
  const none = { expiresAt: null, registeredAt: null, lastRenewedAt: null, observedIp: null, ready: true, reachability: unknown, consumers: NO_CONSUMER_LOOP };
  for (const state of leases.all()) {
    const override = overrides.get(state.id);
    const live = state.endedAt === null;
    const refused = override !== undefined && OVERRIDES[override.action].refuses;
    if (!live && !refused) continue;
    rows.push({
      id: state.id,
      addrs: state.addrs,
      labels: state.labels,
      source: "lease",
      state: nodeState(override?.action),
      expiresAt: live ? isoOrNull(state.expiresAt) : null,
      registeredAt: isoOrNull(state.registeredAt),
      lastRenewedAt: isoOrNull(state.lastRenewedAt),
      observedIp: state.observedIp,
      ready: live ? state.ready : true,
      reachability: live ? reachability(state.id) : unknown,
      reason: override?.reason ?? null,
      consumers: live ? presentConsumers(state.consumers) : NO_CONSUMER_LOOP,
    });
  }
  for (const override of overrides.values()) {
    const { action } = override;
    if (carriesPeer(action)) {
      rows.push({ id: override.node, addrs: override.addrs ?? [], labels: override.labels ?? {}, source: action, state: nodeState(undefined), ...none, reason: override.reason });
    } else if (OVERRIDES[action].refuses && !leases.has(override.node)) {
      rows.push({ id: override.node, addrs: [], labels: {}, source: "lease", state: nodeState(action), ...none, reason: override.reason });
    }
  }
  rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.source < b.source ? -1 : 1));
  return rows;
}
