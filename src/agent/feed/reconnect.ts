/**
 * When a watch that was cut reopens. A deploy restarts the cluster's object and cuts every
 * agent's socket in the same instant; if they all came back at once, a large cluster would ask
 * the object for tens of thousands of upgrades in a second, far past its soft limit of about a
 * thousand. So a watch that lived a while reopens after a uniformly random delay within a window
 * sized to the cluster:
 *
 * - the window the directory advised on the socket's 101 (`Peerdir-Reconnect-Window`, seconds:
 *   its live nodes / 500, see src/contract/watch.ts), bounded to [10 s, 5 min] so a wrong or
 *   hostile value can neither bring the crowd back at once nor keep it away for long;
 * - at least what the agent can tell itself: with full lists it knows the cluster's size from
 *   its own handout (peers + itself), which keeps the window right as a cluster grows under a
 *   long-lived socket whose advice is older;
 * - at least RECONNECT_SPREAD_MS (10 s), what agents spread over before the directory advised.
 *
 * A watch that keeps dying young backs off instead (the caller's exponential backoff). The lease
 * is safe meanwhile: with its socket down, the agent renews over HTTP on its usual schedule.
 */
import { RECONNECT_UPGRADES_PER_SECOND, RECONNECT_WINDOW_MAX_SECONDS, RECONNECT_WINDOW_MIN_SECONDS } from "../../contract/watch.js";
import type { Random } from "../backoff.js";

/** A watch that lived KEEPALIVE_MS or more reopens within at least this long (uniformly spread). */
export const RECONNECT_SPREAD_MS = RECONNECT_WINDOW_MIN_SECONDS * 1000;

/** The advised window from the 101's header value, in ms; null when absent or not a number. */
export function advisedWindowMs(header: string | string[] | undefined): number | null {
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(text)) return null;
  return Math.min(RECONNECT_WINDOW_MAX_SECONDS, Math.max(RECONNECT_WINDOW_MIN_SECONDS, Number(text))) * 1000;
}

/** The window to spread a reconnect over: the advice, the agent's own estimate from `peers`, and the floor, whichever is longest. */
export function reconnectWindowMs(advisedMs: number | null, peers: number): number {
  const own = Math.min(RECONNECT_WINDOW_MAX_SECONDS * 1000, ((peers + 1) / RECONNECT_UPGRADES_PER_SECOND) * 1000);
  return Math.max(RECONNECT_SPREAD_MS, advisedMs ?? 0, own);
}

/** The delay before reopening a watch cut after it lived a while: uniform over the window (full jitter). */
export function reconnectDelayMs(advisedMs: number | null, peers: number, random: Random): number {
  return random() * reconnectWindowMs(advisedMs, peers);
}
