/**
 * Runs the operator's --on-change command after the peer list changes.
 *
 * Debounced (a burst of changes, e.g. a rolling restart, runs it once) and serialised (never two
 * at once: a change during a run schedules exactly one more run after it). The command runs in
 * a shell, its output goes to the agent's own stdout/stderr, and its exit status is logged.
 */
import { childProcess } from "../builtins.js";
import type { Logger } from "../log.js";

export const ON_CHANGE_DEBOUNCE_MS = 1_000;

export class OnChangeRunner {
  runs = { ok: 0, failed: 0 };
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private pending = false;
  private stopped = false;

  constructor(
    private readonly command: string,
    private readonly env: () => Record<string, string>,
    private readonly log: Logger,
    private readonly debounceMs = ON_CHANGE_DEBOUNCE_MS,
  ) {}

  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.pending = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.start();
    }, this.debounceMs);
  }

  /** Cancels a scheduled run; a run in progress is left to finish on its own. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Resolves when no run is in progress (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private start(): void {
    this.pending = false;
    const started = Date.now();
    this.running = new Promise<void>((resolve) => {
      const child = childProcess().spawn("/bin/sh", ["-c", this.command], {
        stdio: ["ignore", "inherit", "inherit"],
        env: { ...process.env, ...this.env() },
      });
      let finished = false; // "error" and "exit" can both fire for one child
      const finish = (fields: Record<string, string | number | null>, ok: boolean) => {
        if (finished) return;
        finished = true;
        if (ok) this.runs.ok++;
        else this.runs.failed++;
        const msg = ok ? "on-change command finished" : "on-change command failed";
        (ok ? this.log.info : this.log.warn)(msg, { ...fields, seconds: Math.round((Date.now() - started) / 100) / 10 });
        resolve();
      };
      child.on("error", (err) => finish({ error: err.message }, false));
      child.on("exit", (code, signal) => finish({ exitCode: code, signal }, code === 0));
    }).then(() => {
      this.running = null;
      if (this.pending && !this.stopped) this.trigger();
    });
  }
}
