/**
 * What holds a lease between writes. Plain renewals are never written (memory holds them), a
 * node's watch socket holds its lease by pings the runtime answers and times (`LeaseSignals`),
 * and after a restart the grace holds what memory lost (docs/architecture.md, "Leases and
 * expiry").
 *
 * A lease whose stored expiry may be behind its real one is marked `behind` in storage, once:
 * at its first plain renewal past the stored expiry, or when a socket of its node opens. On
 * load, a lease held by an open socket runs to its last signal + TTL; any other lease marked
 * behind is kept until the load time + its TTL and written so, which clears the mark (a second
 * restart does not extend a dead one again); every other stored expiry is exact.
 */
import type { LeaseTable, NodeState } from "./lease-table.js";

/**
 * What the runtime knows about the nodes' watch sockets: for each node with an open socket, the
 * latest sign of life on it (its last auto-answered ping, or when it opened). Read only when an
 * expiry check comes due and when the object loads, never on a heartbeat.
 */
export interface LeaseSignals {
  lastSeen(): ReadonlyMap<string, number>;
}

export const NO_SIGNALS: LeaseSignals = { lastSeen: () => new Map() };

/** How the core is loaded: at `loadedAt` (a restart: leases get their grace), with the sockets' signals. */
export interface CoreLoad {
  loadedAt?: number;
  signals?: LeaseSignals;
}

export class LeaseHolds {
  readonly #signals: LeaseSignals;

  constructor(
    private readonly leases: LeaseTable,
    load: CoreLoad,
  ) {
    this.#signals = load.signals ?? NO_SIGNALS;
    if (load.loadedAt !== undefined) this.#restartGrace(load.loadedAt);
  }

  /** A plain renewal moved the expiry in memory only: storage is behind from now on. */
  renewedInMemory(state: NodeState): void {
    if (state.expiresAt > state.storedExpiresAt) this.leases.setBehind(state, true);
  }

  /** A watch socket of the node opened: from now on it may hold the lease past its stored expiry. */
  socketOpened(state: NodeState): void {
    this.leases.setBehind(state, true);
  }

  /**
   * The node's last watch socket closed; `lastSeen` was its last sign of life. The TTL counts
   * down from there (or from a later HTTP renewal), and that exact expiry is written.
   */
  socketClosed(node: string, lastSeen: number): void {
    const state = this.leases.get(node);
    if (!state || state.endedAt !== null) return;
    this.#extend(state, lastSeen);
    if (state.expiresAt !== state.storedExpiresAt) this.leases.saveRenewal(state);
    this.leases.setBehind(state, false);
  }

  /** Lazy expiry: every live lease whose node holds a socket runs to its last signal + TTL (memory only). */
  refresh(): void {
    for (const [id, signal] of this.#signals.lastSeen()) {
      const state = this.leases.get(id);
      if (state && state.endedAt === null && this.#extend(state, signal)) this.leases.setBehind(state, true);
    }
  }

  #restartGrace(at: number): void {
    const seen = this.#signals.lastSeen();
    for (const state of this.leases.live()) {
      const signal = seen.get(state.id);
      if (signal !== undefined) {
        this.#extend(state, signal);
      } else if (state.behind) {
        // Memory may have renewed it past storage before the restart: a live node renews within its TTL.
        state.expiresAt = Math.max(state.expiresAt, at + state.ttlSeconds * 1000);
        this.leases.saveRenewal(state);
        this.leases.setBehind(state, false);
      }
    }
  }

  /** The lease runs at least to `signal` + TTL; true when that moved it. */
  #extend(state: NodeState, signal: number): boolean {
    const until = signal + state.ttlSeconds * 1000;
    if (until <= state.expiresAt) return false;
    state.expiresAt = until;
    if (signal > state.lastRenewedAt) state.lastRenewedAt = signal;
    return true;
  }
}
