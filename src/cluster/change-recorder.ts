/**
 * How the cluster changes: one call, `record(now, body)`, runs a mutation as a `Change`. The body
 * touches each id before it changes it (so the change log knows what each handout held before),
 * and lists its audit entries; when the body returns, the version moves once if anything a
 * handout shows was touched (or the body asked for it), the change log and the handout caches
 * follow, and then the audit entries are written. No step can be left out or come in the wrong
 * order, because no other path changes what a handout shows. The cluster's own row (its version,
 * its settings) is written here too: it only ever changes as part of a change.
 */
import type { AuditEntry, AuditLog } from "./audit.js";
import { type ChangeRecord, KEEP_VERSIONS, RESYNC_ALL } from "./changelog.js";
import type { Actor, ClusterMeta, ClusterSettings } from "./records.js";
import type { DirectoryStore } from "./store.js";

export interface Change {
  /** Notes `id`'s handout state before this change alters it. */
  touch(id: string): void;
  /** The version must move although no single id changed (settings, degraded mode). */
  bump(): void;
  /** Every handout may have changed: deltas across this version become snapshots. */
  resyncAll(): void;
  audit(actor: Actor, action: string, node: string | null, reason: string | null, before: unknown, after: unknown): void;
  /** Writes the cluster's row, new. */
  insertCluster(meta: ClusterMeta): void;
  /** Writes the cluster's settings. */
  saveSettings(settings: ClusterSettings): void;
}

/** An id's handout state before a change: whether it was handed out, and in which zone. */
export interface HandoutState {
  wasPresent: boolean;
  wasZone: string | null;
}

export interface ChangeHooks {
  /** The cluster's record (its version moves here); a change needs one when it bumps. */
  meta(): ClusterMeta | null;
  /** `id`'s handout state now. */
  handoutState(id: string): HandoutState;
  /** The version moved: every cached handout is stale. */
  versionMoved(): void;
}

export class ChangeRecorder implements Change {
  readonly #log: ChangeRecord[];
  #floor: number;
  readonly #pending = new Map<string, HandoutState>();
  readonly #audits: AuditEntry[] = [];
  #now = 0;
  #bump = false;
  #resyncAll = false;
  #open = false;

  constructor(
    private readonly store: Pick<DirectoryStore, "saveVersion" | "insertChange" | "pruneChanges" | "insertCluster" | "saveSettings">,
    private readonly auditLog: AuditLog,
    private readonly hooks: ChangeHooks,
    log: ChangeRecord[],
    floor: number,
  ) {
    this.#log = log;
    this.#floor = floor;
  }

  /** Deltas can be computed from any version at or above this one. */
  get floor(): number {
    return this.#floor;
  }

  get log(): readonly ChangeRecord[] {
    return this.#log;
  }

  /** Runs `body` as one change (see the header). A nested call joins the change in progress. */
  record<T>(now: number, body: (change: Change) => T): T {
    if (this.#open) return body(this);
    this.#open = true;
    this.#now = now;
    try {
      const result = body(this);
      if (this.#bump || this.#pending.size > 0 || this.#resyncAll) this.#moveVersion();
      for (const entry of this.#audits) this.auditLog.append(entry);
      return result;
    } finally {
      this.#pending.clear();
      this.#audits.length = 0;
      this.#bump = this.#resyncAll = this.#open = false;
    }
  }

  touch(id: string): void {
    if (!this.#pending.has(id)) this.#pending.set(id, this.hooks.handoutState(id));
  }

  bump(): void {
    this.#bump = true;
  }

  resyncAll(): void {
    this.#resyncAll = true;
  }

  audit(actor: Actor, action: string, node: string | null, reason: string | null, before: unknown, after: unknown): void {
    this.#audits.push({ at: this.#now, actor, action, node, reason, before, after });
  }

  insertCluster(meta: ClusterMeta): void {
    this.store.insertCluster(meta);
  }

  saveSettings(settings: ClusterSettings): void {
    this.store.saveSettings(settings);
  }

  #moveVersion(): void {
    const meta = this.hooks.meta();
    if (!meta) throw new Error("a change moved the version of a cluster that does not exist");
    meta.version++;
    this.store.saveVersion(meta.version);
    const note = (node: string, { wasPresent, wasZone }: HandoutState) => {
      const change = { version: meta.version, node, wasPresent, wasZone, at: this.#now };
      this.#log.push(change);
      this.store.insertChange(change);
    };
    if (this.#resyncAll) note(RESYNC_ALL, { wasPresent: false, wasZone: null });
    for (const [node, before] of this.#pending) note(node, before);
    this.#prune(meta);
    this.hooks.versionMoved();
  }

  /** Keeps at least KEEP_VERSIONS versions and at least the max TTL of history; prunes in batches. */
  #prune(meta: ClusterMeta): void {
    if (meta.version % 100 !== 0) return;
    const keepAfter = this.#now - meta.settings.maxTtlSeconds * 1000;
    const log = this.#log;
    let cut = 0;
    while (cut < log.length && log[cut].version <= meta.version - KEEP_VERSIONS && log[cut].at < keepAfter) cut++;
    if (cut === 0) return;
    const upTo = log[cut - 1].version;
    // Never split a version: prune only whole versions.
    while (cut < log.length && log[cut].version === upTo) cut++;
    log.splice(0, cut);
    this.#floor = upTo;
    this.store.pruneChanges(upTo);
  }
}
