/**
 * What the agent last heard from the directory about the peers: applies handouts and deltas to
 * the view, moves `syncedAt` on every confirmation (a 200, a 304, an unchanged renewal, a live
 * watch), logs the changes (at most a line per window), and tells the outputs. Also holds when the next feed turn is due,
 * since a renewal that shows an unchanged version stands in for the next poll.
 */
import type { Logger } from "./log.js";
import { PeerChangeLog } from "./peer-change-log.js";
import type { HandoutUpdate } from "./feed/transport.js";
import type { PeerDiff, PeerView } from "./peer-view.js";

export interface SyncHooks {
  /** The peer list's content changed (already applied to the view). */
  onPeersChanged(diff: PeerDiff): void;
  /** The directory confirmed the list without a change. */
  onConfirmed?(): void;
}

export class Sync {
  /** The ETag of the list held, once confirmed in this run. */
  etag: string | null = null;
  /** The directory's last handout or delta said `"degraded": true` (self-preservation is on). */
  degraded = false;
  /** When to start the next feed turn (a poll, a long-poll, a watch); ignored while one runs. */
  feedAt = 0;

  /** "peers changed", at most one line per window (peer-change-log.ts). */
  readonly changeLog: PeerChangeLog;

  constructor(
    readonly view: PeerView,
    private readonly log: Logger,
    private readonly hooks: SyncHooks,
  ) {
    this.changeLog = new PeerChangeLog(log, () => ({ peers: view.peers.length, version: view.version }));
  }

  /** The version the list is known at in this run, and its ETag: the base of a delta or a resumed watch. */
  get current(): { etag: string; version: number } | null {
    const { view } = this;
    return view.syncedThisRun && view.version !== null && this.etag !== null ? { etag: `"${view.version}"`, version: view.version } : null;
  }

  /** The directory confirmed the list held, unchanged; only a list confirmed in this run can be. */
  confirm(): void {
    if (!this.view.syncedThisRun) return;
    this.view.confirm(new Date());
    this.hooks.onConfirmed?.();
  }

  /** A handout or delta (`etag` as the directory sent it), or a 304 (`update` null). */
  synced(update: HandoutUpdate | null, etag?: string | null): void {
    const { view, log } = this;
    const first = !view.syncedThisRun;
    const at = new Date();
    if (!update) {
      view.confirm(at);
      this.hooks.onConfirmed?.();
    } else {
      this.etag = etag ?? `"${update.version}"`;
      this.degraded = update.degraded;
      const diff = view.apply(update, at);
      if (diff) {
        this.changeLog.changed(diff);
        this.hooks.onPeersChanged(diff);
      } else {
        this.hooks.onConfirmed?.();
      }
    }
    if (first) log.info("synced with the directory", { peers: view.peers.length, version: view.version });
  }
}
