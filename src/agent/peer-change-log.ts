/**
 * The agent's "peers changed" log line, at most one per window. The first change after a quiet
 * spell is logged at once; the changes that follow within the window are added up and logged as
 * one line when it ends. Without this, a cluster that re-forms (every node registering again
 * after the directory lost its state, or a rolling restart of a large fleet) makes every agent
 * write a line per delta: the log flood peerdir exists to end, on each of N nodes at once.
 */
import type { Logger } from "./log.js";
import type { PeerDiff } from "./peer-view.js";

export const PEER_LOG_WINDOW_MS = 10_000;
/** Ids named in one line; the counts stay exact beyond it. */
const MAX_MARKS = 20;

interface Pending {
  added: number;
  removed: number;
  updated: number;
  deltas: number;
  marks: string[];
}

export class PeerChangeLog {
  #lastAt = Number.NEGATIVE_INFINITY;
  #pending: Pending | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** `state`: the list's size and version now, read when the line is written. */
  constructor(
    private readonly log: Logger,
    private readonly state: () => { peers: number; version: number | null },
    private readonly windowMs = PEER_LOG_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  changed(diff: PeerDiff): void {
    const pending = this.#pending ?? { added: 0, removed: 0, updated: 0, deltas: 0, marks: [] };
    pending.added += diff.added.length;
    pending.removed += diff.removed.length;
    pending.updated += diff.updated.length;
    pending.deltas++;
    for (const [sign, ids] of [
      ["+", diff.added],
      ["-", diff.removed],
      ["~", diff.updated],
    ] as const) {
      for (const id of ids) if (pending.marks.length <= MAX_MARKS) pending.marks.push(`${sign}${id}`);
    }
    this.#pending = pending;
    const now = this.now();
    if (now - this.#lastAt >= this.windowMs) return this.flush();
    if (!this.#timer) {
      this.#timer = setTimeout(() => this.flush(), this.#lastAt + this.windowMs - now);
      this.#timer.unref?.();
    }
  }

  /** Writes what is pending now (the window's end, or the agent stopping). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = null;
    this.#lastAt = this.now();
    const { peers, version } = this.state();
    const marks = pending.marks.length > MAX_MARKS ? `${pending.marks.slice(0, MAX_MARKS).join(" ")} ...` : pending.marks.join(" ");
    this.log.info("peers changed", {
      peers,
      added: pending.added,
      removed: pending.removed,
      updated: pending.updated,
      changes: marks,
      version,
      deltas: pending.deltas > 1 ? pending.deltas : undefined,
    });
  }
}
