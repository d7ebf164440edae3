/**
 * The audit trail's shape and retention: what an entry records about the thing it changed.
 */
import type { NodeRecord, OverrideRecord } from "./records.js";

/** Entries kept per cluster; older ones are pruned. */
export const AUDIT_RETENTION = 10_000;
/** Prune once per this many entries, not on every write. */
export const AUDIT_PRUNE_EVERY = 100;

export function nodeSnapshot(node: NodeRecord) {
  return {
    addrs: node.addrs,
    labels: node.labels,
    expiresAt: node.endedAt === null ? new Date(node.expiresAt).toISOString() : null,
    observedIp: node.observedIp,
  };
}

export function overrideSnapshot(override: OverrideRecord) {
  return {
    action: override.action,
    ...(override.action === "pin" ? { addrs: override.addrs, labels: override.labels } : {}),
    reason: override.reason,
    expiresAt: override.expiresAt === null ? null : new Date(override.expiresAt).toISOString(),
  };
}
