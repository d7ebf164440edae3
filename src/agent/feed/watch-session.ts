/**
 * One WebSocket watch of this node's handout (docs/api.md, `GET …/watch`), on the agent's own
 * small WebSocket client (websocket.ts, on `node:http`: no dependency, and not undici's).
 *
 * The credential travels as the subprotocol `bearer.<credential>` next to `peerdir`, the way the
 * directory accepts from clients that cannot set headers. The session sends a text `ping` every
 * keep-alive and gives up on the socket when nothing at all (not even the `pong`) came back for
 * KEEPALIVE_MISSES keep-alives: a half-open TCP connection must not leave the agent deaf. A
 * close the directory starts ends the session with its code (4001, 4003) as soon as the close
 * frame arrives.
 *
 * `onEnd` fires exactly once, whether the handshake failed, the directory closed, or the
 * session gave up; after that the session calls nothing.
 */
import { BEARER_SUBPROTOCOL_PREFIX, CLOSE_KEEPALIVE_TIMEOUT, PING, RECONNECT_WINDOW_HEADER, WATCH_SUBPROTOCOL } from "../../contract/watch.js";
import { advisedWindowMs } from "./reconnect.js";
import { KEEPALIVE_MISSES, KEEPALIVE_MS, WATCH_HANDSHAKE_TIMEOUT_MS } from "./transport.js";
import { WebSocketClient } from "./websocket.js";

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
  /** `reconnectWindowMs`: the window the directory advised for a reconnect (reconnect.ts), null without one. */
  onOpen(reconnectWindowMs?: number | null): void;
  onMessage(text: string): void;
  onEnd(end: WatchEnd): void;
}

export interface WatchLike {
  close(reason: string): void;
  /** Sends a text message on the open socket; false when it could not. */
  send(text: string): boolean;
}

/** `keepaliveMs`: how often to ping (default KEEPALIVE_MS); each ping also holds the lease. */
export type OpenWatch = (url: string, credential: string, handlers: WatchHandlers, keepaliveMs?: number) => WatchLike;

interface Timing {
  keepaliveMs: number;
  misses: number;
  handshakeTimeoutMs: number;
}

export class WatchSession implements WatchLike {
  private readonly ws: WebSocketClient;
  private opened = false;
  private ended = false;
  private openedAt = 0;
  private lastHeard = 0;
  private handshakeTimer: ReturnType<typeof setTimeout> | null = null;
  private keepalive: ReturnType<typeof setInterval> | null = null;

  constructor(
    url: string,
    credential: string,
    private readonly handlers: WatchHandlers,
    private readonly timing: Timing = { keepaliveMs: KEEPALIVE_MS, misses: KEEPALIVE_MISSES, handshakeTimeoutMs: WATCH_HANDSHAKE_TIMEOUT_MS },
  ) {
    this.ws = new WebSocketClient(url, [WATCH_SUBPROTOCOL, `${BEARER_SUBPROTOCOL_PREFIX}${credential}`], {
      onOpen: (headers) => {
        if (this.ended) return;
        this.opened = true;
        this.openedAt = this.lastHeard = Date.now();
        this.clearHandshake();
        this.keepalive = setInterval(() => this.tick(), timing.keepaliveMs);
        this.keepalive.unref?.();
        this.handlers.onOpen(advisedWindowMs(headers[RECONNECT_WINDOW_HEADER.toLowerCase()]));
      },
      onMessage: (text) => {
        if (this.ended) return;
        this.lastHeard = Date.now();
        this.handlers.onMessage(text);
      },
      onClose: (code, reason, opened) => this.end(code, reason || (opened ? "closed" : "the WebSocket upgrade failed (no 101: refused, or a proxy that does not pass upgrades)")),
    });
    // Set once the client exists: a URL or credential it refuses throws before any timer runs.
    this.handshakeTimer = setTimeout(() => this.end(1006, `no WebSocket handshake within ${timing.handshakeTimeoutMs / 1000} s`), timing.handshakeTimeoutMs);
  }

  close(reason: string): void {
    this.end(1000, reason);
  }

  send(text: string): boolean {
    if (this.ended || this.ws.readyState !== 1) return false;
    try {
      this.ws.send(text);
      return true;
    } catch {
      return false;
    }
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

  private clearHandshake(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }

  private end(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.clearHandshake();
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = null;
    this.ws.close(1000);
    this.handlers.onEnd({ opened: this.opened, code, reason, lifetimeMs: this.opened ? Date.now() - this.openedAt : 0 });
  }
}

export const openWatchSession: OpenWatch = (url, credential, handlers, keepaliveMs = KEEPALIVE_MS) =>
  new WatchSession(url, credential, handlers, { keepaliveMs, misses: KEEPALIVE_MISSES, handshakeTimeoutMs: WATCH_HANDSHAKE_TIMEOUT_MS });
