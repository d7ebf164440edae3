/**
 * Records as the wire contract shows them: epoch milliseconds become ISO 8601 strings.
 */
import type { AuditEntry, Override } from "../contract/admin.js";
import type { AuditRecord, OverrideRecord } from "./records.js";

export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function presentOverride(o: OverrideRecord): Override {
  return {
    node: o.node,
    action: o.action,
    ...(o.action === "pin" ? { addrs: o.addrs ?? [], labels: o.labels ?? {} } : {}),
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
