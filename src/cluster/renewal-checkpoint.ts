/**
 * Renewal checkpoints: a plain renewal (only the expiry moves) stays in memory, and renewals are
 * written in batches, at most `renewalCheckpointMs` apart, as etcd does with lease keep-alives.
 * The window's start is stored before the first renewal in it is acknowledged, so a restart that
 * lost the window's renewals keeps every live lease until that start + the interval + its TTL,
 * and never drops a node that renewed (docs/architecture.md, "Renewal checkpoints").
 */
import type { LeaseTable, NodeState } from "./lease-table.js";
import type { DirectoryStore } from "./store.js";

export class RenewalCheckpoint {
  /** Nodes whose latest plain renewal is in memory only. */
  readonly #unsaved = new Set<string>();
  /** When the open window began (also in storage), or null when none is open. */
  #since: number | null;

  constructor(
    private readonly store: Pick<DirectoryStore, "saveRenewal" | "saveRenewalsUnsavedSince">,
    private readonly leases: LeaseTable,
    private readonly intervalMs: number,
    unsavedSince: number | null,
  ) {
    this.#since = unsavedSince;
    if (unsavedSince !== null) this.#keepLeasesWithLostRenewals(unsavedSince);
  }

  /**
   * The object stopped with a window open, so renewals made in it may be lost. Any of them came
   * before the window's start + the interval (the next renewal would have written it), so no
   * live lease can really end later than that + its TTL: keep each one at least that long. The
   * extended expiries are written at the next checkpoint; until then a second restart computes
   * the same ones.
   */
  #keepLeasesWithLostRenewals(windowStart: number): void {
    const latestRenewal = windowStart + this.intervalMs;
    for (const state of this.leases.live()) {
      const atLeast = latestRenewal + state.ttlSeconds * 1000;
      if (state.expiresAt < atLeast) {
        state.expiresAt = atLeast;
        this.#unsaved.add(state.id);
      }
    }
  }

  /** When the renewals held in memory must be written (`flush`), or null. */
  get dueAt(): number | null {
    return this.#since === null ? null : this.#since + this.intervalMs;
  }

  /** Writes every renewal held in memory and closes the window. */
  flush(): void {
    if (this.#since !== null || this.#unsaved.size > 0) this.#checkpoint(null);
  }

  /** A renewal that moved only the expiry: held in memory until the window's checkpoint. */
  hold(state: NodeState, now: number): void {
    if (this.intervalMs <= 0) return this.store.saveRenewal(state);
    // No window open, or this one is over: open one, durably, before this renewal is
    // acknowledged (the response waits for the write), so a restart knows it may have been lost.
    const windowOver = this.#since !== null && now >= this.#since + this.intervalMs;
    if (this.#since === null || windowOver) this.#checkpoint(now);
    this.#unsaved.add(state.id);
  }

  /** The node's row is gone: nothing of it to write. */
  forget(id: string): void {
    this.#unsaved.delete(id);
  }

  /** Writes the renewals held in memory and records the next window's start (null: none open). */
  #checkpoint(nextWindow: number | null): void {
    for (const id of this.#unsaved) {
      const state = this.leases.get(id);
      if (state) this.store.saveRenewal(state);
    }
    this.#unsaved.clear();
    this.#since = nextWindow;
    this.store.saveRenewalsUnsavedSince(nextWindow);
  }
}
