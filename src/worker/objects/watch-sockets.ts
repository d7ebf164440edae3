/**
 * The watch sockets of one ClusterDirectory: accepting a watch the core allowed, bringing every
 * watcher up to date after a change (one pass per burst), reading a renewal off a socket, and
 * telling when a node's last socket ended. What the runtime keeps (the sockets, their
 * attachments, the auto-answered pings) survives hibernation; what this keeps in memory is only
 * a cache. It never changes the cluster itself: the object's gate runs every core operation
 * these lead to.
 *
 * The open sockets and their attachments are read from the runtime once per instance (after a
 * start or a wake from hibernation) and kept in memory from then on: reading them back
 * (`getWebSockets`, `deserializeAttachment`) costs a wrapper and a structured clone per socket,
 * which a change pushed to a thousand watchers would pay a thousand times. Sockets are added as they
 * are accepted and dropped as they end; every attachment write still goes to the runtime too.
 * A pass sends each watcher its message and nothing else, and writes nothing: the core's
 * index (cluster/fanout.ts) names the watches a change reaches, watchers of full lists share
 * one message, and sockets it does not name are not visited at all. Each socket is registered
 * with the core as a watch; after a wake or a reload of the core, every open socket is
 * registered again, as a watch whose handout is at the version the last pass reached.
 */
import { PING, PONG, reconnectWindowSeconds } from "../../contract/watch.js";
import type { ClusterCore, PassSink, Watch } from "../../cluster/cluster-core.js";
import { watchKey } from "../../cluster/fanout.js";
import { closeIfStanding, type SocketRenewal, socketLastSeen, socketRenewal, upgradeResponse, type WatchAttachment } from "./watchers.js";

export class WatchSockets {
  readonly #ctx: DurableObjectState;
  /** The object's current core: it is rebuilt whenever the object reloads from storage. */
  readonly #core: () => ClusterCore;
  /** Set while a pass over the watchers is scheduled (see `changed`). */
  #passTimer: ReturnType<typeof setTimeout> | null = null;
  /** Each socket's last renew message, as received and as validated (with the socket's identity), to skip both next time. */
  readonly #lastRenew = new WeakMap<WebSocket, { raw: string; input: SocketRenewal }>();
  /** The open watch sockets with their attachments (null until first read from the runtime in this instance). */
  #open: Map<WebSocket, WatchAttachment> | null = null;
  /** The open sockets of each watch (by the core's watch key). */
  readonly #byWatch = new Map<string, Map<WebSocket, WatchAttachment>>();
  /** The core the sockets are registered with as watches. */
  #registeredWith: ClusterCore | null = null;
  /** The version the last pass brought every watcher to. */
  #passed = 0;
  /** Sockets opened since the last pass, at a version of their own. */
  readonly #recent = new Map<WebSocket, WatchAttachment>();

  constructor(ctx: DurableObjectState, core: () => ClusterCore) {
    this.#ctx = ctx;
    this.#core = core;
    // Keep-alives from watchers are answered by the runtime, without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  /** How many sockets are open (or closing). */
  get count(): number {
    return this.#ctx.getWebSockets().length;
  }

  /** The latest sign of life on each node's open sockets. */
  lastSeenByNode(): Map<string, number> {
    const seen = new Map<string, number>();
    for (const [ws, watch] of this.#sockets()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      const at = socketLastSeen(this.#ctx, ws, watch);
      if (at > (seen.get(watch.node) ?? 0)) seen.set(watch.node, at);
    }
    return seen;
  }

  /** The object loaded at `version`: every socket still open (after a wake) is at it. */
  resumeFrom(version: number): void {
    this.#passed = version;
  }

  /** Accepts a watch the core allowed: sends what the node missed since `since`, answers 101. */
  accept(request: Request, watch: WatchAttachment, since: number | null): Response {
    const core = this.#registered();
    const [client, server] = Object.values(new WebSocketPair());
    const first = core.watchUpdate(watch.node, watch.limit, since);
    this.#ctx.acceptWebSocket(server, [watch.node]);
    const attachment: WatchAttachment = { ...watch, version: core.version, degraded: core.degraded };
    this.#sockets().set(server, attachment);
    this.#join(core.watch(watch.node, watch.limit, core.version), server, attachment);
    this.#recent.set(server, attachment);
    server.serializeAttachment(attachment);
    if (first) server.send(first.message);
    // A deploy cuts every socket at once: the advised window spreads the cluster's reconnects under the object's limits.
    return upgradeResponse(request, client, reconnectWindowSeconds(core.liveCount));
  }

  /**
   * The cluster's version moved. Watchers are brought up to date once the operations already
   * queued have run: under a burst of changes (joins) one pass carries them all, instead of one
   * pass per change. Idle, that is the next turn of the event loop.
   */
  changed(): void {
    if (this.#passTimer !== null) return;
    this.#passTimer = setTimeout(() => {
      this.#passTimer = null;
      const core = this.#registered();
      const since = this.#passed;
      const version = core.version;
      this.#passed = version;
      core.watchPass(since, this.#sink(core, since));
      // A socket opened after `since` was brought to a version of its own: it is told what
      // changed since then (the pass skipped it).
      for (const [ws, attachment] of this.#recent) {
        if (attachment.version < version && this.#open?.has(ws)) {
          const update = core.watchUpdate(attachment.node, attachment.limit, attachment.version);
          if (update && !update.empty) ws.send(update.message);
        }
      }
      this.#recent.clear();
    }, 0);
  }

  #sink(core: ClusterCore, since: number): PassSink {
    return {
      standing: (node) => {
        for (const ws of this.#ctx.getWebSockets(node)) {
          const watch = this.#open?.get(ws);
          if (watch && closeIfStanding(ws, core.watchStanding(watch.node, watch.tokenHash))) this.#drop(ws, watch);
        }
      },
      send: (watch, message) => {
        const sockets = this.#byWatch.get(watch.key);
        if (sockets === undefined) return;
        for (const [ws, attachment] of sockets) {
          // A socket opened after `since` is told on its own (see changed).
          if (attachment.version > since) continue;
          try {
            ws.send(message);
          } catch {
            // Closed by the peer; its close event drops it.
          }
        }
      },
    };
  }

  /** The current core, with every open socket registered as a watch (again, after a reload). */
  #registered(): ClusterCore {
    const core = this.#core();
    if (this.#registeredWith !== core) {
      this.#byWatch.clear();
      for (const [ws, attachment] of this.#sockets()) this.#join(core.watch(attachment.node, attachment.limit, null), ws, attachment);
      this.#registeredWith = core;
    }
    return core;
  }

  #join(watch: Watch, ws: WebSocket, attachment: WatchAttachment): void {
    let sockets = this.#byWatch.get(watch.key);
    if (sockets === undefined) this.#byWatch.set(watch.key, (sockets = new Map()));
    sockets.set(ws, attachment);
  }

  /** Forgets a socket that ends or is closed here. */
  #drop(ws: WebSocket, attachment: WatchAttachment): void {
    this.#open?.delete(ws);
    this.#recent.delete(ws);
    const key = watchKey(attachment.node, attachment.limit);
    const sockets = this.#byWatch.get(key);
    if (sockets?.delete(ws)) {
      if (sockets.size === 0) this.#byWatch.delete(key);
      this.#registeredWith?.unwatch(key);
    }
  }

  /** A socket's attachment: from memory, or from the runtime for a socket no longer kept (closing). */
  #attachment(ws: WebSocket): WatchAttachment | null {
    return this.#sockets().get(ws) ?? (ws.deserializeAttachment() as WatchAttachment | null);
  }

  #sockets(): Map<WebSocket, WatchAttachment> {
    if (this.#open === null) {
      const open = new Map<WebSocket, WatchAttachment>();
      for (const ws of this.#ctx.getWebSockets()) {
        const watch = ws.deserializeAttachment() as WatchAttachment | null;
        if (watch && ws.readyState === WebSocket.OPEN) open.set(ws, watch);
      }
      this.#open = open;
    }
    return this.#open;
  }

  /** The renewal a socket's message asks for; an invalid message is answered here, and gives null. */
  renewal(ws: WebSocket, raw: string | ArrayBuffer): SocketRenewal | null {
    // The same message as last time on this socket was valid then and is now: skip validating it
    // (and reading the attachment again: the socket's node, credential and IP never change).
    let renew = this.#lastRenew.get(ws);
    if (renew === undefined || renew.raw !== raw) {
      const watch = this.#attachment(ws);
      if (!watch) return null;
      const parsed = socketRenewal(watch, raw);
      if ("error" in parsed) {
        ws.send(parsed.error);
        return null;
      }
      renew = { raw: raw as string, input: parsed.input };
      this.#lastRenew.set(ws, renew);
    }
    return renew.input;
  }

  /** A socket ended: its node and last sign of life, or null while another socket of the node is still open. */
  ended(ws: WebSocket): { node: string; lastSeen: number } | null {
    const watch = this.#attachment(ws);
    if (!watch) return null;
    this.#drop(ws, watch);
    const others = this.#ctx.getWebSockets(watch.node).some((other) => other !== ws && other.readyState === WebSocket.OPEN);
    return others ? null : { node: watch.node, lastSeen: socketLastSeen(this.#ctx, ws, watch) };
  }
}
