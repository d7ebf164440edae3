/**
 * How the agent hears about peer changes, and the pure decisions around it.
 *
 * Three transports, best first: the WebSocket `watch` (the directory pushes a snapshot, then a
 * delta per change), `long-poll` (`GET …/peers?wait=30` held until the version moves), and
 * `poll` (`GET …/peers` with If-None-Match every --poll-interval). With `--transport auto` the
 * agent starts on the watch on every Node.js it supports (it brings its own WebSocket client,
 * websocket.ts), steps down one transport when the current one cannot work on this network (an
 * upgrade a proxy strips, a long-poll a proxy answers at once), and tries the watch again every
 * few minutes. A pinned transport never changes.
 *
 * Everything here is a pure function or a small state machine with the clock passed in, so the
 * fallback rules and the delta arithmetic are unit-tested exactly (test/unit/agent-transport).
 */
import { handoutTier, orderByTier } from "../../contract/reachability.js";
import type { Peer } from "../../contract/schemas.js";
import { PONG } from "../../contract/watch.js";

export const TRANSPORTS = ["watch", "long-poll", "poll"] as const;
export type Transport = (typeof TRANSPORTS)[number];
export const TRANSPORT_MODES = ["auto", ...TRANSPORTS] as const;
export type TransportMode = (typeof TRANSPORT_MODES)[number];

/** Seconds a long-poll asks the directory to hold (it allows 60; 30 stays under common proxy idle timeouts). */
export const LONG_POLL_WAIT_SECONDS = 30;
/** Least time between the starts of two long-polls, so a burst of changes cannot exceed the rate limit. */
export const LONG_POLL_MIN_SPACING_MS = 1_000;
/** A long-poll 304 that came back sooner than this fraction of the wait was not held. */
export const LONG_POLL_EARLY_FRACTION = 0.5;
/** Early 304s in a row after which long-poll counts as broken (a proxy that buffers, a directory without `wait`). */
export const EARLY_304S_BEFORE_FALLBACK = 3;
/** The watch's keep-alive: a text `ping` this often; the directory answers `pong`. */
export const KEEPALIVE_MS = 30_000;
/** Keep-alives without any message after which the watch counts as dead and is reopened. */
export const KEEPALIVE_MISSES = 2;
export const WATCH_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Failed upgrades in a row, while plain HTTP works, after which the watch counts as blocked. */
export const UPGRADE_FAILURES_BEFORE_FALLBACK = 2;
/** A watch that ends abnormally sooner than this after opening is "short"; a few in a row mean something cuts it. */
export const SHORT_WATCH_MS = KEEPALIVE_MS * KEEPALIVE_MISSES;
export const SHORT_WATCHES_BEFORE_FALLBACK = 3;
/** After a fallback, how long before the better transport is tried again. */
export const RETRY_BETTER_MS = 300_000;

/** The transport to start on: the watch in auto mode (the agent's own client needs nothing of Node.js). */
export function bestTransport(mode: TransportMode): Transport {
  return mode === "auto" ? "watch" : mode;
}

/** The next transport down, or null at the bottom. */
export function fallbackOf(transport: Transport): Transport | null {
  return transport === "watch" ? "long-poll" : transport === "long-poll" ? "poll" : null;
}

export interface TransportChange {
  from: Transport;
  to: Transport;
  reason: string;
}

/** The log line for a change: `transport: watch → long-poll (reason)`. */
export function describeChange(change: TransportChange): string {
  return `transport: ${change.from} → ${change.to} (${change.reason})`;
}

/**
 * Which transport to use now. Only `auto` ever changes it: failures step it down one transport
 * at a time, and `due()` brings back the best one RETRY_BETTER_MS after the last step down.
 */
export class TransportPolicy {
  current: Transport;
  readonly best: Transport;
  /** When to try the best transport again; null while on it (or pinned). */
  retryAt: number | null = null;
  private upgradeFailures = 0;
  private early304s = 0;
  private shortWatches = 0;

  constructor(
    readonly mode: TransportMode,
    private readonly retryBetterMs = RETRY_BETTER_MS,
  ) {
    this.best = bestTransport(mode);
    this.current = this.best;
  }

  /** Called before starting the next request or watch: back to the best transport once its retry is due. */
  due(now: number): TransportChange | null {
    if (this.current === this.best || this.retryAt === null || now < this.retryAt) return null;
    const change = { from: this.current, to: this.best, reason: `trying ${this.best} again ${Math.round(this.retryBetterMs / 1000)} s after falling back` };
    this.switchTo(this.best);
    this.retryAt = null;
    return change;
  }

  /**
   * The watch's upgrade failed (no 101). `httpWorks`: a plain request to the directory answered
   * right after, so the directory is up and takes our credential: something between us and it
   * does not pass WebSocket upgrades (or the directory has no watch).
   */
  watchUpgradeFailed(now: number, httpWorks: boolean): TransportChange | null {
    if (this.current !== "watch" || !httpWorks) return null;
    this.upgradeFailures++;
    if (this.upgradeFailures < UPGRADE_FAILURES_BEFORE_FALLBACK) return null;
    return this.fallBack(now, `the WebSocket upgrade failed ${this.upgradeFailures} times while plain HTTP works`);
  }

  /** A watch delivered a snapshot or delta: it works. */
  watchDelivered(): void {
    this.upgradeFailures = 0;
  }

  /** An open watch ended (other than 4001/4003). `abnormal`: not a clean close by the directory. */
  watchEnded(now: number, lifetimeMs: number, abnormal: boolean): TransportChange | null {
    if (this.current !== "watch") return null;
    this.upgradeFailures = 0;
    if (!abnormal || lifetimeMs >= SHORT_WATCH_MS) {
      this.shortWatches = 0;
      return null;
    }
    this.shortWatches++;
    if (this.shortWatches < SHORT_WATCHES_BEFORE_FALLBACK) return null;
    return this.fallBack(now, `${this.shortWatches} watches in a row were cut within ${Math.round(SHORT_WATCH_MS / 1000)} s`);
  }

  /**
   * A long-poll answered. `status` 200 or 304; `heldMs` how long it took; `waitMs` the wait asked
   * for (0 when none was: the first request of a run is a plain read).
   */
  longPollAnswered(now: number, status: 200 | 304, heldMs: number, waitMs: number): TransportChange | null {
    if (this.current !== "long-poll" || waitMs <= 0) return null;
    if (status === 200 || heldMs >= waitMs * LONG_POLL_EARLY_FRACTION) {
      this.early304s = 0;
      return null;
    }
    this.early304s++;
    if (this.early304s < EARLY_304S_BEFORE_FALLBACK) return null;
    return this.fallBack(now, `${this.early304s} long-polls in a row came back unchanged at once instead of waiting`);
  }

  private fallBack(now: number, reason: string): TransportChange | null {
    const to = this.mode === "auto" ? fallbackOf(this.current) : null;
    if (!to) return null;
    const change = { from: this.current, to, reason };
    this.switchTo(to);
    this.retryAt = now + this.retryBetterMs;
    return change;
  }

  private switchTo(transport: Transport): void {
    this.current = transport;
    this.upgradeFailures = 0;
    this.early304s = 0;
    this.shortWatches = 0;
  }
}

// ---- handouts, deltas and watch messages --------------------------------------------------

/** What the directory said about this node's handout: all of it, or what changed. */
export type HandoutUpdate =
  | { kind: "full"; version: number; peers: Peer[]; degraded: boolean }
  | { kind: "delta"; version: number; upserts: Peer[]; removes: string[]; degraded: boolean };

export type WatchEvent = { kind: "pong" } | { kind: "update"; type: "snapshot" | "delta"; update: HandoutUpdate } | { kind: "other"; type: string; text: string };

/** Whether `p` has a peer's shape (id, string addresses, labels if any): what the agent reads off the wire or its disk. */
export function isPeer(p: unknown): p is Peer {
  const peer = p as Peer;
  return (
    typeof peer === "object" &&
    peer !== null &&
    typeof peer.id === "string" &&
    Array.isArray(peer.addrs) &&
    peer.addrs.every((a) => typeof a === "string") &&
    (peer.labels === undefined || (typeof peer.labels === "object" && peer.labels !== null))
  );
}

/**
 * A handout body from `GET …/peers` (`{"version","peers"}`, with `since` possibly
 * `{"version","upserts","removes"}`) or a watch message's fields; null when it is neither.
 */
export function parseHandout(body: unknown): HandoutUpdate | null {
  if (typeof body !== "object" || body === null) return null;
  const b = body as Record<string, unknown>;
  if (typeof b.version !== "number" || !Number.isSafeInteger(b.version)) return null;
  const degraded = b.degraded === true;
  if (Array.isArray(b.peers)) {
    if (!b.peers.every(isPeer)) return null;
    return { kind: "full", version: b.version, peers: b.peers.map(normalise), degraded };
  }
  if (Array.isArray(b.upserts) && Array.isArray(b.removes)) {
    if (!b.upserts.every(isPeer) || !b.removes.every((id) => typeof id === "string")) return null;
    return { kind: "delta", version: b.version, upserts: b.upserts.map(normalise), removes: b.removes as string[], degraded };
  }
  return null;
}

/** Keeps what the agent uses; the reachability marks only when they depart from "ready, unknown". */
function normalise(p: Peer): Peer {
  const peer: Peer = { id: p.id, addrs: p.addrs, labels: p.labels ?? {} };
  if (p.ready === false) peer.ready = false;
  if (p.reachability === "reachable" || p.reachability === "unreachable") peer.reachability = p.reachability;
  return peer;
}

/** A text frame from the watch: `pong`, a snapshot or delta, or anything else (renewed, error). */
export function parseWatchMessage(text: string): WatchEvent | null {
  if (text === PONG) return { kind: "pong" };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof data !== "object" || data === null) return null;
  const type = (data as { type?: unknown }).type;
  if (type === "snapshot" || type === "delta") {
    const update = parseHandout(data);
    // A snapshot must be whole; a delta may not pretend to be one.
    if (!update || (type === "snapshot") !== (update.kind === "full")) return null;
    return { kind: "update", type, update };
  }
  return typeof type === "string" ? { kind: "other", type, text } : null;
}

/**
 * The directory's handout order: peers in the requester's zone first, then the rest, each group
 * sorted by id (code-unit order, as the directory sorts), then by reachability tier (stable). A
 * limited handout keeps this order too.
 */
export function sortHandout(peers: readonly Peer[], zone: string | null): Peer[] {
  const byId = [...peers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const zoned = zone === null ? byId : zoneFirst(byId, zone);
  return [...orderByTier(zoned, handoutTier)];
}

function zoneFirst(byId: Peer[], zone: string): Peer[] {
  const same = byId.filter((p) => p.labels?.zone === zone);
  return same.length === 0 ? byId : [...same, ...byId.filter((p) => p.labels?.zone !== zone)];
}

/**
 * The handout after a delta: removes dropped, upserts added or replaced, in the directory's order.
 * Applied to the handout at the delta's base version it gives exactly the handout at its version.
 */
export function applyDelta(current: readonly Peer[], upserts: readonly Peer[], removes: readonly string[], zone: string | null): Peer[] {
  const byId = new Map(current.map((p) => [p.id, p]));
  for (const id of removes) byId.delete(id);
  for (const p of upserts) byId.set(p.id, p);
  return sortHandout([...byId.values()], zone);
}

/** The watch URL for a directory node URL (`http` → `ws`, `https` → `wss`), resuming after `since`, with at most `limit` peers. */
export function watchUrl(nodeUrl: string, since: number | null, limit: number | null = null): string {
  const url = new URL(`${nodeUrl}/watch`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  if (limit !== null) url.searchParams.set("limit", String(limit));
  if (since !== null) url.searchParams.set("since", String(since));
  return url.toString();
}
