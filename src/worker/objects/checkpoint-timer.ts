/**
 * Writes the renewals the core holds in memory when their checkpoint comes (the cluster's
 * renewal-checkpoint.ts). A timer, not the alarm: it only matters while this instance lives (a
 * restart applies the core's restart rule instead), and it costs no storage write to arm.
 */

/** How soon to try a renewal checkpoint again after it failed. */
const CHECKPOINT_RETRY_MS = 1_000;

export class CheckpointTimer {
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** `dueAt`: when the core's checkpoint is due (null: none); `write`: writes it, atomically. */
  constructor(
    private readonly dueAt: () => number | null,
    private readonly write: () => void,
  ) {}

  /** Arms the timer for the core's next checkpoint, unless one is armed already. */
  schedule(delayMs?: number): void {
    const at = this.dueAt();
    if (at === null || this.#timer !== null) return;
    this.#timer = setTimeout(() => this.#fire(), delayMs ?? Math.max(0, at - Date.now()));
  }

  #fire(): void {
    this.#timer = null;
    const due = this.dueAt();
    if (due !== null && Date.now() >= due) {
      try {
        this.write();
      } catch (err) {
        console.error(`ClusterDirectory renewal checkpoint failed; retrying in ${CHECKPOINT_RETRY_MS} ms:`, err);
        this.schedule(CHECKPOINT_RETRY_MS);
        return;
      }
    }
    this.schedule();
  }
}
