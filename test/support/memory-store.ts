/**
 * An in-memory DirectoryStore for runtime-free tests of ClusterCore: it keeps what it is told,
 * as SQLite does, so a restarted core can be rebuilt from its snapshot.
 */
import type { ChangeRecord } from "../../src/cluster/changelog.js";
import type { AuditFilter, DirectoryStore, Snapshot } from "../../src/cluster/cluster-core.js";
import type { ConsumerLoopRecord } from "../../src/cluster/store.js";
import type { NodeFactRecord } from "../../src/cluster/node-facts.js";
import type { AuditRecord, ClusterMeta, ClusterSettings, JoinTokenRecord, NodeRecord, OverrideRecord } from "../../src/cluster/records.js";

export class MemoryStore implements DirectoryStore {
  meta: ClusterMeta | null = null;
  nodes = new Map<string, NodeRecord>();
  joinTokens = new Map<string, JoinTokenRecord>();
  overrides = new Map<string, OverrideRecord>();
  audit: AuditRecord[] = [];
  changes: ChangeRecord[] = [];
  floor = 0;
  degraded = false;
  consumerLoops = new Map<string, ConsumerLoopRecord>();
  /** node → name → fact */
  facts = new Map<string, Map<string, NodeFactRecord>>();

  insertCluster(meta: ClusterMeta) {
    this.meta = structuredClone(meta);
  }
  saveVersion(version: number) {
    this.meta!.version = version;
  }
  saveSettings(settings: ClusterSettings) {
    this.meta!.settings = { ...settings };
  }
  insertJoinToken(token: JoinTokenRecord) {
    this.joinTokens.set(token.id, { ...token });
  }
  deleteJoinToken(id: string) {
    this.joinTokens.delete(id);
  }
  saveNode(n: NodeRecord) {
    const { id, credentialHash, addrs, labels, ttlSeconds, registeredAt, lastRenewedAt, expiresAt, endedAt, observedIp, behind } = n;
    this.nodes.set(id, structuredClone({ id, credentialHash, addrs, labels, ttlSeconds, registeredAt, lastRenewedAt, expiresAt, endedAt, observedIp, behind: behind ?? false }));
  }
  saveRenewal(n: NodeRecord) {
    Object.assign(this.nodes.get(n.id) ?? {}, { ttlSeconds: n.ttlSeconds, expiresAt: n.expiresAt, lastRenewedAt: n.lastRenewedAt, observedIp: n.observedIp });
  }
  saveBehind(id: string, behind: boolean) {
    const n = this.nodes.get(id);
    if (n) n.behind = behind;
  }
  saveLeaseEnd(id: string, endedAt: number) {
    this.nodes.get(id)!.endedAt = endedAt;
  }
  deleteNode(id: string) {
    this.nodes.delete(id);
  }
  saveOverride(o: OverrideRecord) {
    this.overrides.set(o.node, structuredClone(o));
  }
  deleteOverride(node: string) {
    this.overrides.delete(node);
  }
  insertAudit(entry: AuditRecord) {
    this.audit.push(entry);
  }
  pruneAudit(upTo: number) {
    this.audit = this.audit.filter((e) => e.seq > upTo);
  }
  readAudit(limit: number, before: number | null, filter: AuditFilter = {}) {
    return this.audit
      .filter(
        (e) =>
          (before === null || e.seq < before) &&
          (filter.action === undefined || e.action === filter.action) &&
          (filter.node === undefined || e.node === filter.node) &&
          (filter.actor === undefined || e.actor.id === filter.actor),
      )
      .reverse()
      .slice(0, limit);
  }
  insertChange(change: ChangeRecord) {
    this.changes.push({ ...change });
  }
  pruneChanges(upTo: number) {
    this.changes = this.changes.filter((c) => c.version > upTo);
    this.floor = upTo;
  }
  saveDegraded(degraded: boolean) {
    this.degraded = degraded;
  }
  saveNodeFact(f: NodeFactRecord) {
    if (!this.facts.has(f.node)) this.facts.set(f.node, new Map());
    this.facts.get(f.node)!.set(f.name, { ...f });
  }
  deleteNodeFact(node: string, name: string) {
    this.facts.get(node)?.delete(name);
  }
  deleteNodeFacts(node: string) {
    this.facts.delete(node);
  }

  saveConsumerLoop(record: ConsumerLoopRecord) {
    this.consumerLoops.set(record.node, { ...record });
  }
  deleteConsumerLoop(node: string) {
    this.consumerLoops.delete(node);
  }

  snapshot(): Snapshot {
    return {
      meta: structuredClone(this.meta),
      nodes: [...this.nodes.values()].map((n) => structuredClone(n)),
      joinTokens: [...this.joinTokens.values()].map((t) => ({ ...t })),
      overrides: [...this.overrides.values()].map((o) => structuredClone(o)),
      lastAuditSeq: this.audit.length ? this.audit[this.audit.length - 1].seq : 0,
      changes: this.changes.map((c) => ({ ...c })),
      changelogFloor: this.floor,
      degraded: this.degraded,
      consumerLoops: [...this.consumerLoops.values()].map((r) => ({ ...r })),
      facts: [...this.facts.values()].flatMap((m) => [...m.values()].map((f) => ({ ...f }))),
    };
  }
}
