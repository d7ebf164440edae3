/**
 * The audit trail: what an entry records about the thing it changed, its numbering, and its
 * retention. Entries are appended only through a change (change-recorder.ts), after the version moved.
 */
import { carriesPeer } from "../contract/overrides.js";
import { isoOrNull } from "./present.js";
import type { AuditRecord, NodeRecord, OverrideRecord } from "./records.js";
import type { AuditFilter, DirectoryStore } from "./store.js";

/** Entries kept per cluster; older ones are pruned. */
export const AUDIT_RETENTION = 10_000;
/** Prune once per this many entries, not on every write. */
export const AUDIT_PRUNE_EVERY = 100;

export function nodeSnapshot(node: NodeRecord) {
  return {
    addrs: node.addrs,
    labels: node.labels,
    expiresAt: node.endedAt === null ? isoOrNull(node.expiresAt) : null,
    observedIp: node.observedIp,
  };
}

export function overrideSnapshot(override: OverrideRecord) {
  return {
    action: override.action,
    ...(carriesPeer(override.action) ? { addrs: override.addrs, labels: override.labels } : {}),
    reason: override.reason,
    expiresAt: isoOrNull(override.expiresAt),
  };
}

export type AuditEntry = Omit<AuditRecord, "seq">;

export class AuditLog {
  #seq: number;

  constructor(
    private readonly store: Pick<DirectoryStore, "insertAudit" | "pruneAudit" | "readAudit">,
    lastSeq: number,
    private readonly onAppend?: (action: string) => void,
  ) {
    this.#seq = lastSeq;
  }

  append(entry: AuditEntry): void {
    const seq = ++this.#seq;
    this.store.insertAudit({ seq, ...entry });
    if (seq % AUDIT_PRUNE_EVERY === 0 && seq > AUDIT_RETENTION) this.store.pruneAudit(seq - AUDIT_RETENTION);
    this.onAppend?.(entry.action);
  }

  /** Newest first, up to `limit` entries below `beforeSeq` (of one action and/or node), and the cursor of the next page. */
  page(limit: number, beforeSeq: number | null, filter: AuditFilter = {}): { entries: AuditRecord[]; next: string | null } {
    const rows = this.store.readAudit(limit + 1, beforeSeq, filter);
    const entries = rows.slice(0, limit);
    return { entries, next: rows.length > limit ? String(entries[entries.length - 1].seq) : null };
  }
}
