/**
 * The agent's current picture of the cluster: the last peer list the directory confirmed, when
 * it was confirmed, and the handouts derived from it.
 *
 * Handouts are rebuilt only when the list's content changes, so the local endpoints answer from
 * precomputed values however often consumers poll them. A new version with the same content
 * (the directory bumps the version for this node's own changes too) is not a change.
 */
import type { Peer, PeersResponse } from "../contract/schemas.js";
import { applyDelta, type HandoutUpdate } from "./feed/transport.js";
import { buildHandouts, type Handouts, type LocalResult } from "./outputs/handout.js";

export interface PeerDiff {
  added: string[];
  removed: string[];
  updated: string[];
}

export class PeerView {
  version: number | null = null;
  peers: Peer[] = [];
  handouts: Handouts = { k3s: [], bootstrap: [], id: null };
  /** Last time the directory confirmed this list (possibly from a previous run). */
  syncedAt: Date | null = null;
  /** Whether the directory confirmed the list during this run. */
  syncedThisRun = false;
  private content = "[]";

  /**
   * `zone`: this node's `zone` label, which orders the directory's handout (same zone first).
   * `local`: this node's own probe results, which pick the peer `/id` serves.
   */
  constructor(
    readonly self: string,
    readonly zone: string | null = null,
    private readonly local: LocalResult = () => null,
  ) {}

  /** Rebuilds the handouts after this node's own probe results changed. */
  refresh(): void {
    this.handouts = buildHandouts(this.self, this.peers, this.local);
  }

  /** Loads a persisted list: served at once, but not counted as synced in this run. */
  restore(cached: { version: number; peers: Peer[]; syncedAt: string }): void {
    this.set(cached.version, cached.peers);
    const at = new Date(cached.syncedAt);
    this.syncedAt = Number.isNaN(at.getTime()) ? null : at;
  }

  /** Takes a fresh list from the directory; returns the diff, or null when the content is unchanged. */
  replace(response: PeersResponse, at: Date): PeerDiff | null {
    const before = new Map(this.peers.map((p) => [p.id, JSON.stringify(p)]));
    const changed = JSON.stringify(response.peers) !== this.content;
    this.version = response.version;
    this.confirm(at);
    if (!changed) return null;
    this.set(response.version, response.peers);
    const after = new Map(this.peers.map((p) => [p.id, JSON.stringify(p)]));
    return {
      added: [...after.keys()].filter((id) => !before.has(id)),
      removed: [...before.keys()].filter((id) => !after.has(id)),
      updated: [...after].filter(([id, json]) => before.has(id) && before.get(id) !== json).map(([id]) => id),
    };
  }

  /**
   * Takes a handout or a delta from the directory. A delta applies to the current list, which
   * is the handout at the delta's base version, so the result is again exactly the handout.
   */
  apply(update: HandoutUpdate, at: Date): PeerDiff | null {
    if (update.kind === "full") return this.replace({ version: update.version, peers: update.peers }, at);
    return this.replace({ version: update.version, peers: applyDelta(this.peers, update.upserts, update.removes, this.zone) }, at);
  }

  /** The directory said nothing changed (304). */
  confirm(at: Date): void {
    this.syncedAt = at;
    this.syncedThisRun = true;
  }

  private set(version: number, peers: Peer[]): void {
    this.version = version;
    this.peers = peers;
    this.content = JSON.stringify(peers);
    this.handouts = buildHandouts(this.self, peers, this.local);
  }
}
