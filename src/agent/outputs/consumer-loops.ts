/**
 * Local consumers asking for peers in a loop: requests to the peer endpoints counted by endpoint,
 * a sliding-minute rate, the loop episodes it marks, their two log lines, and the report of each
 * change that rides on the next renewal.
 *
 * The rate is a ring of per-second buckets: counting a request is a clock read and a few array
 * writes (well under a microsecond), never a timer, a log line or an allocation. A loop starts when
 * the last minute holds more than `threshold` requests; it ends once every second of a full minute
 * stayed under the threshold's share (at 60 a minute: no second with two requests), so a consumer
 * that stops is cleared about a minute later. Only while a loop lasts does a one-second check run
 * (a stopped consumer makes no request to notice the quiet by); without a loop nothing runs.
 * Answers are never touched: counting sits beside serving, not in front of it.
 */
import { CONSUMER_ENDPOINTS, type ConsumerEndpoint } from "../../contract/consumers.js";
import type { ConsumerReport } from "../../contract/schemas.js";
import type { Logger } from "../log.js";

const WINDOW_SECONDS = 60;
const N = CONSUMER_ENDPOINTS.length;
const INDEX = new Map<string, number>(CONSUMER_ENDPOINTS.map((endpoint, i) => [endpoint, i]));

export interface ConsumerLoopOptions {
  /** Requests a minute above which consumers count as looping; 0 turns detection off. */
  threshold: number;
  log: Logger;
  /** The looping state changed: tell the directory soon. */
  onChange: () => void;
  now?: () => number;
  setInterval?: (fn: () => void, ms: number) => { unref?(): void };
  clearInterval?: (timer: unknown) => void;
}

interface Episode {
  startedAt: number;
  endpoint: ConsumerEndpoint;
  requestsPerMinute: number;
  /** Requests counted before it started, to say how many it made. */
  countedBefore: number;
}

/**
 * The last minute of requests in one-second buckets, by endpoint: what the sliding rate, the
 * busiest endpoint and the per-second "hot" mark are read from.
 */
class MinuteRing {
  readonly #perSecond = new Uint32Array(WINDOW_SECONDS * N);
  readonly #secondTotals = new Uint32Array(WINDOW_SECONDS);
  /** The second the newest bucket holds. */
  #second = 0;
  /** Requests in the window. */
  total = 0;
  /** The last second whose own rate was above the threshold. */
  lastHot = Number.NEGATIVE_INFINITY;

  /** Counts one request at `second`; returns the requests in the window. */
  add(second: number, index: number, threshold: number): number {
    if (second !== this.#second) this.advance(second);
    const slot = second % WINDOW_SECONDS;
    this.#perSecond[slot * N + index]!++;
    if (++this.#secondTotals[slot]! * WINDOW_SECONDS > threshold) this.lastHot = second;
    return ++this.total;
  }

  /** Moves the window on to `second`, dropping the buckets that fell out of it. */
  advance(second: number): void {
    const gap = second - this.#second;
    if (gap >= WINDOW_SECONDS || gap < 0) this.clear();
    else {
      for (let s = this.#second + 1; s <= second; s++) {
        const slot = s % WINDOW_SECONDS;
        this.total -= this.#secondTotals[slot]!;
        this.#secondTotals[slot] = 0;
        this.#perSecond.fill(0, slot * N, slot * N + N);
      }
    }
    this.#second = second;
  }

  clear(): void {
    this.#perSecond.fill(0);
    this.#secondTotals.fill(0);
    this.total = 0;
  }

  /** The endpoint asked most in the window, or null when none was. */
  busiest(): ConsumerEndpoint | null {
    const sums = new Array<number>(N).fill(0);
    for (let slot = 0; slot < WINDOW_SECONDS; slot++) for (let i = 0; i < N; i++) sums[i]! += this.#perSecond[slot * N + i]!;
    let best = -1;
    for (let i = 0; i < N; i++) if (sums[i]! > 0 && (best < 0 || sums[i]! > sums[best]!)) best = i;
    return best < 0 ? null : CONSUMER_ENDPOINTS[best]!;
  }

  /**
   * The rate at `now`, in requests a minute: the densest stretch of the window that ends now and
   * spans at least a second, so a loop caught a few seconds in is reported at its pace, not at the
   * threshold it just crossed, and one partial second does not pass for a minute.
   */
  rate(now: number): number {
    const intoSecond = Math.max(0, Math.min(1, now / 1000 - this.#second));
    let sum = this.#secondTotals[this.#second % WINDOW_SECONDS]!;
    let best = 0;
    for (let back = 1; back < WINDOW_SECONDS; back++) {
      sum += this.#secondTotals[(this.#second - back + WINDOW_SECONDS) % WINDOW_SECONDS]!;
      // The current second so far and `back` whole seconds before it.
      best = Math.max(best, sum / (back + intoSecond));
    }
    return Math.round(best * 60);
  }
}

export class ConsumerLoops {
  /** Requests since start, by endpoint (CONSUMER_ENDPOINTS order). */
  readonly counts = new Float64Array(N);
  readonly #ring = new MinuteRing();
  #episode: Episode | null = null;
  /** The endpoint the last loop was on, for the report that it ended. */
  #lastEndpoint: ConsumerEndpoint | null = null;
  /** When the current state (looping or not) began; the agent's start until a first loop. */
  #stateSince: number;
  #timer: unknown = null;
  /** Moves on every change of what the directory should hear; `#told` is what it took. */
  #revision = 1;
  #told = 0;
  readonly #offered = new WeakMap<ConsumerReport, number>();
  readonly #now: () => number;

  constructor(private readonly o: ConsumerLoopOptions) {
    this.#now = o.now ?? Date.now;
    this.#stateSince = this.#now();
  }

  get looping(): boolean {
    return this.#episode !== null;
  }

  /** The endpoint's index for `count`, or -1 when `path` is not a peer endpoint. */
  static indexOf(path: string): number {
    return INDEX.get(path) ?? -1;
  }

  /** One request from a local consumer to the endpoint at `index`. The hot path: no allocation. */
  count(index: number): void {
    this.counts[index]!++;
    const threshold = this.o.threshold;
    if (threshold === 0) return;
    const inWindow = this.#ring.add(Math.floor(this.#now() / 1000), index, threshold);
    if (this.#episode === null && inWindow > threshold) this.#start();
  }

  /** Requests in the last minute (the sliding window), as of now. */
  requestsLastMinute(): number {
    this.#ring.advance(Math.floor(this.#now() / 1000));
    return this.#ring.total;
  }

  /** What the next renewal should carry, when the directory has not taken the current state yet. */
  pendingReport(): ConsumerReport | undefined {
    if (this.#told === this.#revision) return undefined;
    const now = this.#now();
    const e = this.#episode;
    const report: ConsumerReport = {
      looping: e !== null,
      requestsPerMinute: e ? e.requestsPerMinute : this.requestsLastMinute(),
      endpoint: e ? e.endpoint : (this.#lastEndpoint ?? this.#ring.busiest()),
      sinceSeconds: Math.max(0, Math.round((now - this.#stateSince) / 1000)),
    };
    this.#offered.set(report, this.#revision);
    return report;
  }

  /** The directory took a renewal carrying `report`. */
  acknowledge(report: ConsumerReport): void {
    const revision = this.#offered.get(report);
    if (revision !== undefined && revision > this.#told) this.#told = revision;
  }

  stop(): void {
    this.#stopTimer();
  }

  #start(): void {
    const now = this.#now();
    const endpoint = this.#ring.busiest()!;
    const requestsPerMinute = this.#ring.rate(now);
    let countedBefore = 0;
    for (const n of this.counts) countedBefore += n;
    this.#episode = { startedAt: now, endpoint, requestsPerMinute, countedBefore: countedBefore - this.#ring.total };
    // The minute that crossed the threshold counts as over it: an episode lasts a minute at least.
    this.#ring.lastHot = Math.floor(now / 1000);
    this.#stateSince = now;
    this.#revision++;
    this.o.log.warn(
      `a local consumer is asking for peers in a loop: about ${requestsPerMinute} requests a minute, most to ${endpoint} (threshold ${this.o.threshold}); ` +
        "answers are unchanged. Likely causes: spegel or k3s cannot connect to the peers it is given (check the peers' addresses, ports and firewalls), " +
        "a misconfigured client, or a retry bug in the consumer. One line when it stops.",
      { endpoint, requestsPerMinute, threshold: this.o.threshold },
    );
    const timer = (this.o.setInterval ?? setInterval)(() => this.#check(), 1000);
    timer.unref?.();
    this.#timer = timer;
    this.o.onChange();
  }

  /** Once a second while a loop lasts: has every second of the last minute stayed under the threshold? */
  #check(): void {
    const e = this.#episode;
    if (!e) return this.#stopTimer();
    const now = this.#now();
    const second = Math.floor(now / 1000);
    this.#ring.advance(second);
    if (second - this.#ring.lastHot < WINDOW_SECONDS) {
      // Still looping: the peak is what is reported, told again when it has doubled (a few times at most).
      const rate = this.#ring.rate(now);
      if (rate >= e.requestsPerMinute * 2) {
        e.requestsPerMinute = rate;
        this.#revision++;
        this.o.onChange();
      }
      return;
    }
    let counted = 0;
    for (const n of this.counts) counted += n;
    this.#episode = null;
    this.#lastEndpoint = e.endpoint;
    this.#stateSince = now;
    this.#stopTimer();
    this.o.log.info(`local consumers stopped asking for peers in a loop: under ${this.o.threshold} requests a minute for a full minute`, {
      endpoint: e.endpoint,
      loopedSeconds: Math.round((now - e.startedAt) / 1000),
      requests: counted - e.countedBefore,
    });
    // The next loop is measured afresh, so one that resumes at once is a new episode, not no end at all.
    this.#ring.clear();
    this.#revision++;
    this.o.onChange();
  }

  #stopTimer(): void {
    if (this.#timer === null) return;
    (this.o.clearInterval ?? ((t: unknown) => clearInterval(t as NodeJS.Timeout)))(this.#timer);
    this.#timer = null;
  }
}
