/**
 * The self-check: whether this node's own advertised TCP address accepts connections, tried
 * locally on the advertised IP and port. While it does not (spegel crashed or not started yet,
 * a wrong address), the agent registers as not ready and the directory hands it out after every
 * ready node.
 *
 * Turned off (`--no-self-check`), or with no TCP address to try (UDP/QUIC only), the node is
 * always ready. The check repeats every `intervalMs`; a change is reported once, so the agent
 * can tell the directory at once instead of at its next renewal.
 */
import { firstTcpTarget, type TcpTarget, tcpAccepts } from "./probes.js";

export interface SelfCheckOptions {
  enabled: boolean;
  intervalMs: number;
  timeoutMs: number;
  connect?: (target: TcpTarget, timeoutMs: number) => Promise<boolean>;
}

export const SELF_CHECK_INTERVAL_MS = 10_000;

export class SelfCheck {
  readonly target: TcpTarget | null;
  #ready: boolean;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<boolean> | null = null;
  readonly #connect: (target: TcpTarget, timeoutMs: number) => Promise<boolean>;

  constructor(
    addrs: readonly string[],
    private readonly options: SelfCheckOptions,
    private readonly onChange: (ready: boolean) => void = () => {},
  ) {
    this.target = options.enabled ? firstTcpTarget(addrs) : null;
    // Until the first check says otherwise: a node is not held back by a check that has not run.
    this.#ready = this.target === null;
    this.#connect = options.connect ?? tcpAccepts;
  }

  /** The latest answer; true when the check is off or has nothing to try. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Whether the check runs at all. */
  get active(): boolean {
    return this.target !== null;
  }

  /** Checks now (one check at a time) and returns the answer; a change is also reported to onChange. */
  check(): Promise<boolean> {
    if (!this.target) return Promise.resolve(true);
    this.#running ??= this.#connect(this.target, this.options.timeoutMs)
      .catch(() => false)
      .then((ready) => {
        this.#running = null;
        if (ready !== this.#ready) {
          this.#ready = ready;
          this.onChange(ready);
        }
        return ready;
      });
    return this.#running;
  }

  /** Checks once now, then every intervalMs until stop(). */
  start(): Promise<boolean> {
    if (!this.target) return Promise.resolve(true);
    const first = this.check();
    const tick = () => {
      this.#timer = setTimeout(() => void this.check().finally(() => this.#timer !== null && tick()), this.options.intervalMs);
      this.#timer.unref();
    };
    tick();
    return first;
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
