/**
 * Writes the peers to disk: the state dir's peers.json (read back at start, so a restarted agent
 * serves its last-known-good peers at once) and the operator's --peers-file, then runs
 * --on-change. Writes are chained so files land in change order, and the hook runs after they
 * are on disk. A confirmation without a change rewrites the state file at most once a minute,
 * so its `syncedAt` stays close to the truth without a write per poll.
 */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "../log.js";
import type { PeerView } from "../peer-view.js";
import { type StateStore, writeFileAtomic } from "../state-store.js";
import type { OnChangeRunner } from "./on-change.js";

export const CONFIRM_WRITE_EVERY_MS = 60_000;

export class PeerFiles {
  private writing: Promise<void> = Promise.resolve();
  private confirmedWriteAt = 0;

  constructor(
    private readonly view: PeerView,
    private readonly store: StateStore,
    private readonly peersFile: string | null,
    private readonly onChange: OnChangeRunner | null,
    private readonly log: Logger,
  ) {}

  /** The list changed: write everything, then run the hook. */
  changed(): void {
    this.write(true, true);
  }

  /** The directory confirmed the list: refresh the state file's `syncedAt` now and then. */
  confirmed(): void {
    if (Date.now() - this.confirmedWriteAt < CONFIRM_WRITE_EVERY_MS) return;
    this.write(false, false);
  }

  /** Writes the --peers-file from the restored list (no hook: nothing changed). */
  restored(): void {
    if (this.peersFile) this.write(true, false);
  }

  /** Resolves once every write so far is on disk. */
  flushed(): Promise<void> {
    return this.writing;
  }

  private write(peersFile: boolean, runHook: boolean): void {
    const { view } = this;
    this.confirmedWriteAt = Date.now();
    const snapshot = { version: view.version ?? 0, peers: view.peers, syncedAt: (view.syncedAt ?? new Date()).toISOString() };
    const target = peersFile ? this.peersFile : null;
    this.writing = this.writing.then(async () => {
      try {
        await this.store.savePeers(snapshot);
        if (target) {
          await mkdir(dirname(target), { recursive: true });
          await writeFileAtomic(target, `${JSON.stringify({ version: snapshot.version, peers: snapshot.peers }, null, 2)}\n`);
        }
      } catch (err) {
        this.log.error("could not write the peers", { error: (err as Error).message });
      }
      if (runHook) this.onChange?.trigger();
    });
  }
}
