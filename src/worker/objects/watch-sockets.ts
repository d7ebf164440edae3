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
 * which a change pushed to a thousand watchers paid a thousand times. Sockets are added as they
 * are accepted and dropped as they end; every attachment write still goes to the runtime too.
 * A pass sends each watcher its message and nothing else: watchers of full lists share one
 * message (the core's handouts build it once), so the same string goes to every socket.
 */
import { PING, PONG, reconnectWindowSeconds } from "../../contract/watch.js";
import type { ClusterCore } from "../../cluster/cluster-core.js";
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

  /** Accepts a watch the core allowed: sends what the node missed since `since`, answers 101. */
  accept(request: Request, watch: WatchAttachment, since: number | null): Response {
    const core = this.#core();
    const [client, server] = Object.values(new WebSocketPair());
    const first = core.watchUpdate(watch.node, watch.limit, since);
    this.#ctx.acceptWebSocket(server, [watch.node]);
    const attachment: WatchAttachment = { ...watch, version: core.version, degraded: core.degraded };
    this.#sockets().set(server, attachment);
    server.serializeAttachment(attachment);
    if (first) server.send(first.message);
    // A deploy cuts every socket at once: the advised window spreads the cluster's reconnects under the object's limits.
    return upgradeResponse(request, client, reconnectWindowSeconds(core.liveCount));
  }

  /**
   * The cluster's version moved. Watchers are brought up to date once the operations already
   * queued have run: under a burst of changes (joins) one pass carries them all, instead of one
   * pass over every socket per change. Idle, that is the next turn of the event loop.
   */
  changed(): void {
    if (this.#passTimer !== null) return;
    this.#passTimer = setTimeout(() => {
      this.#passTimer = null;
      const core = this.#core();
      const sockets = this.#sockets();
      for (const [ws, watch] of sockets) {
        if (ws.readyState !== WebSocket.OPEN) sockets.delete(ws);
        else this.#bringUpToDate(core, ws, watch);
      }
    }, 0);
  }

  #bringUpToDate(core: ClusterCore, ws: WebSocket, watch: WatchAttachment): void {
    if (watch.version === core.version) return;
    if (closeIfStanding(ws, core.watchStanding(watch.node, watch.tokenHash))) {
      this.#open?.delete(ws);
      return;
    }
    const update = core.watchUpdate(watch.node, watch.limit, watch.version);
    // A delta that changes nothing this watcher sees (its own readiness, a peer outside its
    // limit) is not sent; its version still moves, so the next delta starts from here. One that
    // flips the degraded flag is, since the flag is part of what it sees.
    const degraded = core.degraded;
    if (update && (!update.empty || degraded !== watch.degraded)) ws.send(update.message);
    // The attachment kept here is updated in place, and written through for hibernation.
    watch.version = core.version;
    watch.degraded = degraded;
    ws.serializeAttachment(watch);
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
    this.#open?.delete(ws);
    if (!watch) return null;
    const others = this.#ctx.getWebSockets(watch.node).some((other) => other !== ws && other.readyState === WebSocket.OPEN);
    return others ? null : { node: watch.node, lastSeen: socketLastSeen(this.#ctx, ws, watch) };
  }
}
