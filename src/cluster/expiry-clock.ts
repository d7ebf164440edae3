/**
 * When the cluster next has something due (a lease's end, an override's expiry, a retired
 * credential's cleanup), for the alarm; and whether self-preservation is holding expiry back.
 */
import type { LeaseTable } from "./lease-table.js";
import type { Overrides } from "./overrides.js";
import type { DirectoryStore } from "./store.js";

export class ExpiryClock {
  /** A lower bound on the next time anything is due; exact after `recompute`. */
  #wakeAt: number | null = null;
  #degraded: boolean;

  constructor(
    private readonly store: Pick<DirectoryStore, "saveDegraded">,
    degraded: boolean,
  ) {
    this.#degraded = degraded;
  }

  get wakeAt(): number | null {
    return this.#wakeAt;
  }

  /** Whether anything may be due at `now`. */
  due(now: number): boolean {
    return this.#wakeAt !== null && now >= this.#wakeAt;
  }

  /** Something new is due at `at`. */
  lower(at: number): void {
    if (this.#wakeAt === null || at < this.#wakeAt) this.#wakeAt = at;
  }

  /** Not before `at`, whatever else is due (degraded mode looks again only after a pause). */
  notBefore(at: number): void {
    this.#wakeAt = Math.max(this.#wakeAt ?? 0, at);
  }

  recompute(leases: LeaseTable, overrides: Overrides, credentialRetentionMs: number): void {
    let next: number | null = null;
    const consider = (due: number) => {
      if (next === null || due < next) next = due;
    };
    for (const state of leases.all()) consider(state.endedAt === null ? state.expiresAt : state.endedAt + credentialRetentionMs);
    for (const override of overrides.values()) if (override.expiresAt !== null) consider(override.expiresAt);
    this.#wakeAt = next;
  }

  get degraded(): boolean {
    return this.#degraded;
  }

  /** Enters or leaves degraded mode; true when it changed. */
  setDegraded(degraded: boolean): boolean {
    if (this.#degraded === degraded) return false;
    this.#degraded = degraded;
    this.store.saveDegraded(degraded);
    return true;
  }
}
