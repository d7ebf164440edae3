/**
 * The agent's one failure policy, shared by every loop of one agent (renew, register, poll,
 * long-poll, the watch upgrade): what counts as an outage, how long to wait before the next
 * request, and what to log about it.
 *
 * - A `2xx`/`304` is a success; a `4xx` other than `408`/`429` is a definite answer. Either ends
 *   an outage. Anything else (a `5xx`, `408`, `429`, a network error, a time-out) is a failure.
 * - After a failure, no loop sends anything before `notBefore`: one backoff for the whole agent,
 *   so a renewal and a feed never double the rate. The delay is exponential with full jitter
 *   (uniform in [1 s, min(30 s or half the lease TTL, 2ⁿ⁺¹ s)]); a `Retry-After` on a `429`/`503` (capped at 5 min) is
 *   waited out in full and spread by up to its own length (at most 30 s more), so agents told
 *   the same value do not come back in the same second.
 * - A failure of a request sent before the last success is counted but starts no outage: the
 *   directory has answered since.
 * - Logs: one line when an outage starts (with its cause), a reminder at most every 5 minutes
 *   while it lasts, one line when it ends (with its length and the number of attempts). Outages
 *   that start within 5 minutes of the last logged one (a flapping directory) are not logged;
 *   the next logged start says how many there were.
 */
import { BACKOFF_CAP_MS, backoffDelayMs, type Random } from "./backoff.js";
import type { Logger } from "./log.js";

/** How one attempt ended: a success, a definite refusal, or a failure (the directory is unavailable). */
export type Verdict = "ok" | "refused" | "failed";
export const VERDICTS: readonly Verdict[] = ["ok", "refused", "failed"];

/** What the policy needs to know of an attempt: the HTTP status (0 without one), a Retry-After, a description. */
export interface AttemptResult {
  status: number;
  retryAfterMs?: number | null;
  detail: string;
  /** When the request was sent; a failure of a request sent before the last success is old news. */
  startedAt?: number;
}

export const REMINDER_EVERY_MS = 300_000;

/** `status` 0 means no HTTP answer (a network error, a time-out, a body cut off); 101 is an opened watch. */
export function verdictOf(status: number): Verdict {
  if ((status >= 200 && status < 300) || status === 304 || status === 101) return "ok";
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return "refused";
  return "failed";
}

/** The wait after a failure: the server's Retry-After (429/503) spread by up to its length, else the backoff. */
export function failureDelayMs(result: AttemptResult, failuresBefore: number, random: Random, capMs: number = BACKOFF_CAP_MS): number {
  const hinted = (result.status === 429 || result.status === 503) && result.retryAfterMs ? result.retryAfterMs : null;
  if (hinted === null) return backoffDelayMs(failuresBefore, random, capMs);
  return hinted + random() * Math.min(hinted, BACKOFF_CAP_MS);
}

export class FailurePolicy {
  /** No request before this time (ms since the epoch). */
  notBefore = 0;
  /** The backoff's cap: 30 s, or half the lease TTL when shorter (set by the lease holder). */
  backoffCapMs = BACKOFF_CAP_MS;
  /** Whether the directory is up (the last attempt was no failure): null before the first attempt. */
  up: boolean | null = null;
  /** Whether the last attempt got an HTTP answer below 500 (a 429 included): the directory itself is there. */
  reachable: boolean | null = null;
  /** Attempts by verdict, for /metrics. */
  readonly attempts = new Map<Verdict, number>(VERDICTS.map((v) => [v, 0]));
  private failures = 0;
  private lastOkAt = -Infinity;
  /** The log, the served peer count (for the outage line), the random source and the clock. */
  private readonly env: { log: Logger; peers: () => number; random: Random; now: () => number };
  private outage: { since: number; attempts: number; remindedAt: number; logged: boolean } | null = null;
  /** When the last outage that was logged started, and how many started since without a line. */
  private loggedStartAt = -Infinity;
  private unloggedOutages = 0;
  /** Seconds of outages that have ended; the running one is added by `outageSeconds()`. */
  private endedOutageMs = 0;

  /** `peers`: how many peers are served, for the outage line. */
  constructor(log: Logger, peers: () => number, random: Random = Math.random, now: () => number = Date.now) {
    this.env = { log, peers, random, now };
  }

  /** Records one attempt and returns its verdict; a failure moves `notBefore` for every loop. */
  record(result: AttemptResult): Verdict {
    const verdict = verdictOf(result.status);
    this.attempts.set(verdict, (this.attempts.get(verdict) ?? 0) + 1);
    const now = this.env.now();
    this.reachable = result.status > 0 && result.status < 500;
    if (verdict !== "failed") {
      this.up = true;
      this.failures = 0;
      this.lastOkAt = now;
      if (this.outage) this.end(now);
      return verdict;
    }
    if (result.startedAt !== undefined && result.startedAt < this.lastOkAt) {
      // Sent before the directory answered another request (one held by a slow directory, say):
      // it says nothing about the directory now.
      this.env.log.debug("a request sent before the directory answered failed", { cause: result.detail });
      return verdict;
    }
    const wait = failureDelayMs(result, this.failures++, this.env.random, this.backoffCapMs);
    this.notBefore = Math.max(this.notBefore, now + wait);
    this.up = false;
    const cause = result.detail;
    if (!this.outage) {
      // A directory that flaps (answers some requests, times out on others) must not log every
      // flap: an outage starting within REMINDER_EVERY_MS of the last logged one gets no lines.
      const logged = now - this.loggedStartAt >= REMINDER_EVERY_MS;
      this.outage = { since: now, attempts: 1, remindedAt: now, logged };
      if (!logged) {
        this.unloggedOutages++;
        this.env.log.debug("directory unreachable again", { cause });
        return verdict;
      }
      this.loggedStartAt = now;
      const flaps = this.unloggedOutages > 0 ? this.unloggedOutages : undefined;
      this.unloggedOutages = 0;
      if (result.status === 429) {
        this.env.log.warn("rate limited by the directory; waiting as told (use a longer --poll-interval if this repeats)", {
          cause,
          waitSeconds: Math.round(wait / 1000),
          outagesNotLogged: flaps,
        });
      } else {
        this.env.log.warn("directory unreachable; serving the last-known-good peers, marked stale", { cause, peers: this.env.peers(), outagesNotLogged: flaps });
      }
      return verdict;
    }
    this.outage.attempts++;
    if (now - this.outage.remindedAt >= REMINDER_EVERY_MS) {
      this.outage.remindedAt = now;
      this.outage.logged = true;
      this.env.log.warn("directory still unreachable", { downSeconds: Math.round((now - this.outage.since) / 1000), attempts: this.outage.attempts, cause });
    } else {
      this.env.log.debug("directory still unreachable", { cause, retryInSeconds: Math.round(wait / 100) / 10 });
    }
    return verdict;
  }

  /** Holds every loop back for at least `ms` (a refusal only an operator can fix, a conflict), without an outage. */
  holdFor(ms: number): void {
    this.notBefore = Math.max(this.notBefore, this.env.now() + ms);
  }

  /** Whether an outage is going on. */
  get down(): boolean {
    return this.outage !== null;
  }

  /** Seconds spent in outages since start, the running one included. */
  outageSeconds(): number {
    return (this.endedOutageMs + (this.outage ? this.env.now() - this.outage.since : 0)) / 1000;
  }

  private end(now: number): void {
    const outage = this.outage!;
    this.outage = null;
    this.endedOutageMs += now - outage.since;
    const fields = { downSeconds: Math.round((now - outage.since) / 1000), attempts: outage.attempts + 1 };
    if (outage.logged) this.env.log.info("directory reachable again", fields);
    else this.env.log.debug("directory reachable again", fields);
  }
}
