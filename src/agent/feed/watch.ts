/**
 * The `watch` feed: a WebSocket the directory pushes a snapshot and then deltas on, opened in
 * the background. While it is open, every message (a pong included) confirms the list, and
 * every pong holds the lease (LeaseHolder.heldByPing): the agent pings a little more often than
 * it would renew, and renews over HTTP only when the pongs stop. Something new to report (a
 * change of readiness or of a probe result) goes as a `renew` message on the socket, answered
 * by `renewed` (or `error`, and then the agent renews over HTTP).
 *
 * A failed upgrade gives no status, so the next turn asks a plain poll why (a refusal, an
 * outage, or a proxy that strips upgrades); during an outage that poll is the only probe. A
 * watch that lived a while and then closed reopens after a random delay within a window sized to
 * the cluster (reconnect.ts: what the directory advised, at least 10 s), so a deploy that cuts
 * every socket at once is not met by every agent in the same second; one that keeps dying backs
 * off.
 */
import { CLOSE_BLOCKED, CLOSE_CREDENTIAL_GONE } from "../../contract/watch.js";
import { backoffDelayMs } from "../backoff.js";
import { type Feed, type FeedHost, feedCredential } from "./feed.js";
import type { PollFeed } from "./poll.js";
import { reconnectDelayMs } from "./reconnect.js";
import { KEEPALIVE_MS, parseWatchMessage } from "./transport.js";
import { openWatchSession, type OpenWatch, type WatchEnd, type WatchHandlers, type WatchLike } from "./watch-session.js";

/** The answers to a renewal on the socket, counted by name in /metrics. */
const SOCKET_ANSWERS = new Set(["renewed", "error"]);

export class WatchFeed implements Feed {
  readonly transport = "watch" as const;
  running = false;
  /** Watch messages received, by type (snapshot, delta, pong, renewed, error, other, invalid). */
  readonly messages = new Map<string, number>();
  private watch: WatchLike | null = null;
  /** The socket is open (not only being opened). */
  private open = false;
  private attempts = 0;
  /** The last upgrade failed; the next turn finds out why. */
  private upgradeFailed = false;
  /** The reconnect window the directory advised on the last socket that opened (reconnect.ts). */
  private advisedWindowMs: number | null = null;

  constructor(
    private readonly host: FeedHost,
    private readonly poll: PollFeed,
    private readonly openWatch: OpenWatch = openWatchSession,
  ) {}

  async turn(): Promise<void> {
    const { host } = this;
    const diagnose = this.upgradeFailed;
    // During an outage a plain request is the probe: one request per backoff slot, not an
    // upgrade plus the request that finds out why it failed.
    if (!diagnose && !host.failures.down) return this.start();
    this.upgradeFailed = false;
    const outcome = await this.poll.check();
    if (host.stopped()) return;
    const now = Date.now();
    if (!diagnose) {
      host.sync.feedAt = now; // the watch opens as soon as the shared policy lets a request through
      return;
    }
    const change = host.transports.watchUpgradeFailed(now, outcome === "ok" || outcome === "not_modified");
    if (change) {
      host.changed(change);
      host.sync.feedAt = now;
    } else {
      // Not the poll's interval: the watch is tried again after its own backoff (the shared one holds too).
      host.sync.feedAt = now + backoffDelayMs(this.attempts++, host.random);
    }
  }

  stop(reason: string): void {
    const watch = this.watch;
    this.watch = null;
    this.running = this.open = false;
    this.host.lease.socketRenewalFailed(null);
    watch?.close(reason);
  }

  /**
   * Sends a renewal on the open socket when there is something new to carry (this node's
   * readiness changed); false when the socket is not open, so the caller renews over HTTP.
   */
  renewOnSocket(): boolean {
    if (!this.open || !this.watch) return false;
    this.send(this.host.lease.socketRenewal(Date.now()));
    return true;
  }

  private send(message: string | null): void {
    if (message === null || !this.watch) return;
    if (!this.watch.send(message)) this.host.lease.socketRenewalFailed(null);
  }

  private start(): void {
    const { host } = this;
    const credential = feedCredential(host);
    if (!credential) return;
    const base = host.sync.current;
    const url = host.client.watchUrl(base ? base.version : null);
    this.running = true;
    let session: WatchLike | null = null;
    const handlers: WatchHandlers = {
      onOpen: (reconnectWindowMs) => {
        if (session !== this.watch) return;
        this.open = true;
        this.advisedWindowMs = reconnectWindowMs ?? this.advisedWindowMs;
        host.requests.add("watch", "ok");
        host.failures.record({ status: 101, detail: "watch open" });
        this.send(host.lease.socketOpened(Date.now()));
        // Resumed: the directory now sends what was missed, if anything; the list stands until then.
        if (base) host.sync.confirm();
        host.log.debug("watch open", { resumedFrom: base?.version ?? null });
      },
      onMessage: (text) => {
        if (session === this.watch) this.message(text);
      },
      onEnd: (end) => {
        if (session !== this.watch) return;
        this.open = false;
        host.lease.socketRenewalFailed(null);
        if (end.opened) return this.ended(credential, end);
        this.watch = null;
        this.running = false;
        host.requests.add("watch", "upgrade_failed");
        host.log.debug("watch upgrade failed", { reason: end.reason });
        this.upgradeFailed = true;
        host.sync.feedAt = Date.now();
        host.wake();
      },
    };
    try {
      // Pings come a little more often than renewals would: each one holds the lease.
      session = this.openWatch(url, credential, handlers, host.lease.pingEveryMs(KEEPALIVE_MS));
      this.watch = session;
    } catch (err) {
      // The client refused to even try (a credential that is no valid subprotocol, say).
      this.watch = session = { close: () => {}, send: () => false };
      handlers.onEnd({ opened: false, code: 1006, reason: (err as Error).message, lifetimeMs: 0 });
    }
  }

  private message(text: string): void {
    const { host } = this;
    const event = parseWatchMessage(text);
    const type = event === null ? "invalid" : event.kind === "update" ? event.type : event.kind === "pong" ? "pong" : SOCKET_ANSWERS.has(event.type) ? event.type : "other";
    this.messages.set(type, (this.messages.get(type) ?? 0) + 1);
    if (event === null) {
      host.log.debug("ignoring a watch message that is not a handout", { message: text.slice(0, 200) });
      return;
    }
    if (event.kind !== "update") {
      // A live watch confirms the list: the directory would have sent a delta.
      host.sync.confirm();
      if (event.kind === "pong") this.send(host.lease.heldByPing(Date.now()));
      else if (event.type === "renewed") host.lease.socketRenewed(parseJson(event.text), Date.now());
      else if (event.type === "error") host.lease.socketRenewalFailed(String((parseJson(event.text) as { detail?: unknown } | null)?.detail ?? event.text.slice(0, 200)));
      else host.log.debug("watch message", { type: event.type, message: event.text.slice(0, 200) });
      return;
    }
    this.attempts = 0;
    host.transports.watchDelivered();
    host.sync.synced(event.update);
  }

  private ended(credential: string, end: WatchEnd): void {
    const { host } = this;
    this.watch = null;
    this.running = false;
    host.wake();
    if (host.stopped() || credential !== host.lease.credential) return;
    const now = Date.now();
    const detail = `watch closed (${end.code}): ${end.reason}`;
    if (end.code === CLOSE_BLOCKED) {
      host.requests.add("watch", "forbidden");
      // A block's reason comes with the 403 of the next request: ask at once (it holds the feed back by the slow retry).
      host.sync.feedAt = now;
      this.upgradeFailed = true;
      return;
    }
    if (end.code === CLOSE_CREDENTIAL_GONE) {
      host.requests.add("watch", "unauthorized");
      if (host.lease.rejected({ outcome: "unauthorized", status: 401, kind: "credential-gone", detail }, false)) host.credentialDropped();
      return;
    }
    host.log.debug("watch closed; reopening", { code: end.code, reason: end.reason, openSeconds: Math.round(end.lifetimeMs / 1000) });
    const change = host.transports.watchEnded(now, end.lifetimeMs, end.code !== 1000 && end.code !== 1001);
    if (change) {
      host.changed(change);
      host.sync.feedAt = now;
      return;
    }
    // A watch cut after it lived a while reopens within the cluster's reconnect window (a deploy
    // cuts every agent's watch at once); watches that keep dying young back off (jittered too).
    host.sync.feedAt =
      now + (end.lifetimeMs >= KEEPALIVE_MS ? reconnectDelayMs(this.advisedWindowMs, host.sync.view.peers.length, host.random) : backoffDelayMs(this.attempts++, host.random));
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
