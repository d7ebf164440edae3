/**
 * One WebSocket watch of this node's handout (docs/api.md, `GET …/watch`), on the standard
 * WebSocket client that Node.js ≥ 22 has built in (no dependency; on Node 20 the agent never
 * gets here, see transport.ts).
 *
 * The credential travels as the subprotocol `bearer.<credential>` next to `peerdir`, the way the
 * directory accepts from clients that cannot set headers. The session sends a text `ping` every
 * keep-alive and gives up on the socket when nothing at all (not even the `pong`) came back for
 * KEEPALIVE_MISSES keep-alives: a half-open TCP connection must not leave the agent deaf.
 *
 * A close the directory starts should end with a `close` event carrying its code (4001, 4003).
 * Where the server side never closes the TCP connection after the closing handshake (local
 * workerd does this), the standard client stays CLOSING and fires nothing; the session notices
 * the CLOSING state within a second and ends with code 1005 (no code known). The agent then
 * reopens, and a refused credential shows up on that attempt instead.
 *
 * `onEnd` fires exactly once, whether the handshake failed, the directory closed, or the
 * session gave up; after that the session calls nothing.
 */
import { BEARER_SUBPROTOCOL_PREFIX, CLOSE_KEEPALIVE_TIMEOUT, PING, WATCH_SUBPROTOCOL } from "../../contract/watch.js";
import { KEEPALIVE_MISSES, KEEPALIVE_MS, WATCH_HANDSHAKE_TIMEOUT_MS } from "./transport.js";

export interface WatchEnd {
  /** Whether the socket ever opened (false: the upgrade failed or timed out). */
  opened: boolean;
  /** The close code: the directory's, 1006 for an abnormal end, 4000 when the keep-alive gave up. */
  code: number;
  reason: string;
  /** How long the socket was open, in ms (0 when it never opened). */
  lifetimeMs: number;
}

export interface WatchHandlers {
  onOpen(): void;
  onMessage(text: string): void;
  onEnd(end: WatchEnd): void;
}

export interface WatchLike {
  close(reason: string): void;
}

export type OpenWatch = (url: string, credential: string, handlers: WatchHandlers) => WatchLike;

const CLOSING_CHECK_MS = 500;

interface Timing {
  keepaliveMs: number;
  misses: number;
  handshakeTimeoutMs: number;
}

export class WatchSession implements WatchLike {
  private readonly ws: WebSocket;
  private opened = false;
  private ended = false;
  private openedAt = 0;
  private lastHeard = 0;
  private handshakeTimer: ReturnType<typeof setTimeout> | null;
  private keepalive: ReturnType<typeof setInterval> | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private closingSeen = false;

  constructor(
    url: string,
    credential: string,
    private readonly handlers: WatchHandlers,
    private readonly timing: Timing = { keepaliveMs: KEEPALIVE_MS, misses: KEEPALIVE_MISSES, handshakeTimeoutMs: WATCH_HANDSHAKE_TIMEOUT_MS },
  ) {
    const Ctor = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
    if (!Ctor) throw new Error("this Node.js has no WebSocket client (Node.js 22 or newer has one)");
    this.ws = new Ctor(url, [WATCH_SUBPROTOCOL, `${BEARER_SUBPROTOCOL_PREFIX}${credential}`]);
    this.handshakeTimer = setTimeout(() => this.end(1006, `no WebSocket handshake within ${timing.handshakeTimeoutMs / 1000} s`), timing.handshakeTimeoutMs);
    this.ws.addEventListener("open", () => {
      if (this.ended) return;
      this.opened = true;
      this.openedAt = this.lastHeard = Date.now();
      this.clearHandshake();
      this.keepalive = setInterval(() => this.tick(), timing.keepaliveMs);
      this.keepalive.unref?.();
      this.watchdog = setInterval(() => this.checkClosing(), CLOSING_CHECK_MS);
      this.watchdog.unref?.();
      this.handlers.onOpen();
    });
    this.ws.addEventListener("message", (event) => {
      if (this.ended) return;
      this.lastHeard = Date.now();
      if (typeof event.data === "string") this.handlers.onMessage(event.data);
    });
    this.ws.addEventListener("close", (event) => this.end(event.code, event.reason || (this.opened ? "closed" : "the WebSocket upgrade failed")));
    // A failed handshake reports an error and then a close; an error on an open socket is followed by a close too.
    this.ws.addEventListener("error", () => {
      if (!this.opened) this.end(1006, "the WebSocket upgrade failed (no 101: refused, or a proxy that does not pass upgrades)");
    });
  }

  close(reason: string): void {
    this.end(1000, reason);
  }

  private tick(): void {
    if (Date.now() - this.lastHeard > this.timing.keepaliveMs * this.timing.misses) {
      this.end(CLOSE_KEEPALIVE_TIMEOUT, `nothing heard for ${Math.round((Date.now() - this.lastHeard) / 1000)} s (keep-alive)`);
      return;
    }
    try {
      this.ws.send(PING);
    } catch {
      // Closing already; the close event ends the session.
    }
  }

  /** The directory sent a close frame but the close event has not come (see above). */
  private checkClosing(): void {
    if (this.ws.readyState !== 2) return;
    if (!this.closingSeen) {
      this.closingSeen = true; // give the real close event, with its code, one more check to arrive
      return;
    }
    this.end(1005, "the directory closed the watch (the close did not complete, so its code is unknown)");
  }

  private clearHandshake(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }

  private end(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.clearHandshake();
    if (this.keepalive) clearInterval(this.keepalive);
    if (this.watchdog) clearInterval(this.watchdog);
    this.keepalive = this.watchdog = null;
    try {
      if (this.ws.readyState === 0 || this.ws.readyState === 1) this.ws.close(1000);
    } catch {
      // Nothing more to do for a socket that cannot even be closed.
    }
    this.handlers.onEnd({ opened: this.opened, code, reason, lifetimeMs: this.opened ? Date.now() - this.openedAt : 0 });
  }
}

export const openWatchSession: OpenWatch = (url, credential, handlers) => new WatchSession(url, credential, handlers);
