/** Long-polls waiting in this object for the cluster's next version. */
export class LongPolls {
  readonly #waiters = new Set<() => void>();

  /** Resolves on the next `wakeAll`, or after `ms`. */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        resolve();
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.add(wake);
    });
  }

  /** The version moved: every waiting long-poll answers now. */
  wakeAll(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }
}
