/**
 * Peer probes: whether each peer in this node's handout answers on its first TCP address.
 *
 * The cost stays flat however large the cluster: only the peers of the current handout are
 * probed (never the whole cluster), each at most once per `intervalMs` (a minute), with at most
 * `maxInFlight` (16) connections open at once and a `timeoutMs` (3 s) time-out. A new peer's
 * first probe comes at a random moment within `firstSpreadMs`, and every later one a random
 * 0-25 % after the interval, so a thousand agents that started together do not probe together.
 *
 * Wake-ups are batched: the scheduler sleeps until the next point of its own `batchMs` (5 s) grid
 * (at a random phase per agent) and starts everything due by then together. For an idle daemon
 * the wake-up, not the connect, is most of a probe's CPU: 100 peers cost about 13 wake-ups a
 * minute instead of 100. A probe only ever starts late (by under `batchMs`), never early, so the
 * once-per-interval bound holds.
 *
 * A probe only opens a TCP connection and closes it: it proves that something accepts
 * connections on that address, which is what a libp2p dial needs first. Peers that advertise
 * only UDP/QUIC addresses are recorded as `unknown` (a QUIC handshake is not worth a dependency).
 *
 * What may be probed at all is the caller's `permits` (the agent's --no-probes and
 * --probe-ranges, and the cluster's probing settings): a peer whose address it refuses is never
 * connected to and has no result, so nothing is reported about it.
 */
import { connect } from "node:net";

export type ProbeResult = "ok" | "failed" | "unknown";

export interface ProbeRecord {
  result: ProbeResult;
  /** When the probe finished (ms since the epoch, this host's clock). */
  at: number;
}

export interface TcpTarget {
  host: string;
  port: number;
}

const TCP_ADDR = /^\/(ip4|ip6|dns4|dns6)\/([^/]+)\/tcp\/(\d{1,5})(?:\/|$)/;

/** The first TCP address among a node's multiaddrs, or null when it has none (UDP/QUIC only). */
export function firstTcpTarget(addrs: readonly string[]): TcpTarget | null {
  for (const addr of addrs) {
    const match = TCP_ADDR.exec(addr);
    if (!match) continue;
    const port = Number(match[3]);
    if (port < 1 || port > 65535) continue;
    return { host: match[2]!, port };
  }
  return null;
}

/** Opens a TCP connection and closes it at once: true when it was accepted within `timeoutMs`. */
export function tcpAccepts(target: TcpTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    let settled = false;
    const done = (accepted: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(accepted);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export interface ProbeOptions {
  intervalMs: number;
  timeoutMs: number;
  maxInFlight: number;
  /** A new peer is first probed at a random moment within this. */
  firstSpreadMs: number;
  /** Probes due within one step of this grid start at one wake-up; 0 wakes for each. */
  batchMs: number;
  /** Which addresses may be probed at all (see setPermits). */
  permits: ProbePermit;
}

/** Whether a peer's address may be probed. */
export type ProbePermit = (target: TcpTarget) => boolean;

export const DEFAULT_PROBE_OPTIONS: ProbeOptions = { intervalMs: 60_000, timeoutMs: 3_000, maxInFlight: 16, firstSpreadMs: 5_000, batchMs: 5_000, permits: () => true };

/** Extra random delay after the interval, as a fraction of it. */
const JITTER = 0.25;

export interface ProbeDeps {
  now: () => number;
  random: () => number;
  connect: (target: TcpTarget, timeoutMs: number) => Promise<boolean>;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
}

export const REAL_PROBE_DEPS: ProbeDeps = {
  now: Date.now,
  random: Math.random,
  connect: tcpAccepts,
  setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Entry {
  id: string;
  /** The probed address as `host:port`, "" for a peer without a TCP address, "-" for one not permitted. */
  key: string;
  /** The peer's first TCP address, permitted or not. */
  found: TcpTarget | null;
  /** The address probed: `found` while permitted, else null. */
  target: TcpTarget | null;
  nextAt: number;
  inFlight: boolean;
  last: ProbeRecord | null;
}

/** Probes the handout's peers on its own timer; results are read by the reporter and the handouts. */
export class ProbeScheduler {
  readonly #entries = new Map<string, Entry>();
  readonly #options: ProbeOptions;
  readonly #deps: ProbeDeps;
  #inFlight = 0;
  #timer: unknown = null;
  #timerAt = Number.POSITIVE_INFINITY;
  /** This agent's offset of the batch grid, so agents do not wake in step. */
  readonly #phase: number;
  /** More probes were due than slots were free: a finished probe starts the next at once. */
  #backlog = false;
  #stopped = false;
  /** Probes finished, by result (the agent's metrics). */
  readonly counts: Record<ProbeResult, number> = { ok: 0, failed: 0, unknown: 0 };

  constructor(
    options: Partial<ProbeOptions> = {},
    deps: Partial<ProbeDeps> = {},
    private readonly onResult: (id: string, record: ProbeRecord, previous: ProbeRecord | null) => void = () => {},
  ) {
    this.#options = { ...DEFAULT_PROBE_OPTIONS, ...options };
    this.#deps = { ...REAL_PROBE_DEPS, ...deps };
    this.#phase = this.#deps.random() * this.#options.batchMs;
  }

  /**
   * The current handout. New peers, and peers whose first TCP address changed, start afresh;
   * peers no longer handed out are forgotten (a probe of theirs still running is ignored).
   */
  setPeers(peers: readonly { id: string; addrs: readonly string[] }[]): void {
    if (this.#stopped) return;
    const now = this.#deps.now();
    const seen = new Set<string>();
    for (const peer of peers) {
      seen.add(peer.id);
      this.#judge(peer.id, firstTcpTarget(peer.addrs), now);
    }
    for (const id of this.#entries.keys()) if (!seen.has(id)) this.#entries.delete(id);
    this.#pump();
  }

  /**
   * Which addresses may be probed from now on. A peer no longer permitted loses its result and is
   * not connected to again (a probe of it already running is ignored); a newly permitted one
   * starts afresh.
   */
  setPermits(permits: ProbePermit): void {
    if (this.#stopped) return;
    this.#options.permits = permits;
    const now = this.#deps.now();
    for (const entry of [...this.#entries.values()]) this.#judge(entry.id, entry.found, now);
    this.#pump();
  }

  /** Keeps a peer's entry while its probed address stays the same, else starts it afresh. */
  #judge(id: string, found: TcpTarget | null, now: number): void {
    const target = found && this.#options.permits(found) ? found : null;
    const key = target ? `${target.host}:${target.port}` : found ? "-" : "";
    if (this.#entries.get(id)?.key === key) return;
    const fresh: Entry = { id, key, found, target, nextAt: now + this.#deps.random() * this.#options.firstSpreadMs, inFlight: false, last: null };
    this.#entries.set(id, fresh);
    if (!found) this.#record(fresh, "unknown", now);
  }

  /** The latest result for each peer of the handout that has one. */
  results(): ReadonlyMap<string, ProbeRecord> {
    const out = new Map<string, ProbeRecord>();
    for (const entry of this.#entries.values()) if (entry.last) out.set(entry.id, entry.last);
    return out;
  }

  result(id: string): ProbeRecord | null {
    return this.#entries.get(id)?.last ?? null;
  }

  /** Results that finished after `since` (ms), for a report that carries only what is new. */
  resultsSince(since: number): Map<string, ProbeRecord> {
    const out = new Map<string, ProbeRecord>();
    for (const entry of this.#entries.values()) if (entry.last && entry.last.at > since) out.set(entry.id, entry.last);
    return out;
  }

  /** Peers of the handout being probed. */
  get size(): number {
    return this.#entries.size;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) this.#deps.clearTimer(this.#timer);
    this.#timer = null;
    this.#entries.clear();
  }

  #record(entry: Entry, result: ProbeResult, at: number): void {
    const previous = entry.last;
    entry.last = { result, at };
    this.counts[result]++;
    this.onResult(entry.id, entry.last, previous);
  }

  /** Starts what is due, as far as the in-flight bound allows, and sleeps until the next one is. */
  #pump(): void {
    if (this.#stopped) return;
    const now = this.#deps.now();
    const free = this.#options.maxInFlight - this.#inFlight;
    let due = 0;
    for (const entry of this.#entries.values()) if (!entry.inFlight && entry.target && entry.nextAt <= now) due++;
    this.#backlog = due > free;
    if (this.#backlog) {
      // The longest-waiting first; the rest go as soon as a slot frees (#finish pumps again).
      const waiting = [...this.#entries.values()].filter((e) => !e.inFlight && e.target && e.nextAt <= now);
      waiting.sort((a, b) => a.nextAt - b.nextAt);
      for (let i = 0; i < free; i++) this.#start(waiting[i]!, now);
    } else if (due > 0) {
      // No list: the common case allocates nothing but the probes themselves.
      for (const entry of this.#entries.values()) if (!entry.inFlight && entry.target && entry.nextAt <= now) this.#start(entry, now);
    }
    let nextAt = Number.POSITIVE_INFINITY;
    // Probes still waiting for a slot are not the timer's: a finished probe starts them.
    for (const entry of this.#entries.values()) if (!entry.inFlight && entry.target && entry.nextAt > now && entry.nextAt < nextAt) nextAt = entry.nextAt;
    this.#sleepUntil(nextAt, now);
  }

  /** Sleeps until the first point of the batch grid at or after `at` (never earlier: a probe only waits). */
  #sleepUntil(due: number, now: number): void {
    const step = this.#options.batchMs;
    let at = step > 0 && due !== Number.POSITIVE_INFINITY ? this.#phase + Math.ceil((due - this.#phase) / step) * step : due;
    if (at < due) at += step; // rounding: a wake-up a hair before the probe is due would start nothing
    if (at === this.#timerAt && this.#timer !== null) return;
    if (this.#timer !== null) this.#deps.clearTimer(this.#timer);
    this.#timer = null;
    this.#timerAt = at;
    if (at === Number.POSITIVE_INFINITY) return;
    this.#timer = this.#deps.setTimer(this.#wake, Math.max(0, at - now));
  }

  /** The timer's callback, one function for the scheduler's life (no closure per wake-up). */
  readonly #wake = (): void => {
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#pump();
  };

  #start(entry: Entry, now: number): void {
    entry.inFlight = true;
    this.#inFlight++;
    // At most one probe per interval: the next is counted from this one's start.
    entry.nextAt = now + this.#options.intervalMs * (1 + this.#deps.random() * JITTER);
    const target = entry.target!;
    this.#deps.connect(target, this.#options.timeoutMs).then(
      (accepted) => this.#finish(entry, accepted),
      () => this.#finish(entry, false),
    );
  }

  #finish(entry: Entry, accepted: boolean): void {
    this.#inFlight--;
    entry.inFlight = false;
    if (this.#stopped) return;
    // Forgotten or replaced meanwhile (left the handout, or moved): the result is about an old address.
    const now = this.#deps.now();
    if (this.#entries.get(entry.id) === entry) this.#record(entry, accepted ? "ok" : "failed", now);
    // Probes wait for a slot: start the next now. Otherwise only this entry's next probe is new
    // to the timer (the others' are already counted); no scan of the whole handout per probe.
    if (this.#backlog) this.#pump();
    else if (this.#entries.get(entry.id) === entry && entry.nextAt < this.#timerAt) this.#sleepUntil(entry.nextAt, now);
  }
}
