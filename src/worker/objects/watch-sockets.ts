/**
 * The watch sockets of one ClusterDirectory: accepting a watch the core allowed, bringing every
 * watcher up to date after a change (one pass per burst), reading a renewal off a socket, and
 * telling when a node's last socket ended. What the runtime keeps (the sockets, their
 * attachments, the auto-answered pings) survives hibernation; what this keeps in memory is only
 * a cache. It never changes the cluster itself: the object's gate runs every core operation
 * these lead to.
 */
import { PING, PONG } from "../../contract/watch.js";
import type { ClusterCore } from "../../cluster/cluster-core.js";
import { closeIfStanding, lastSeenByNode, type SocketRenewal, socketLastSeen, socketRenewal, upgradeResponse, type WatchAttachment } from "./watchers.js";

export class WatchSockets {
  readonly #ctx: DurableObjectState;
  /** The object's current core: it is rebuilt whenever the object reloads from storage. */
  readonly #core: () => ClusterCore;
  /** Set while a pass over the watchers is scheduled (see `changed`). */
  #passTimer: ReturnType<typeof setTimeout> | null = null;
  /** Each socket's last renew message, as received and as validated (with the socket's identity), to skip both next time. */
  readonly #lastRenew = new WeakMap<WebSocket, { raw: string; input: SocketRenewal }>();

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
    return lastSeenByNode(this.#ctx);
  }

  /** Accepts a watch the core allowed: sends what the node missed since `since`, answers 101. */
  accept(request: Request, watch: WatchAttachment, since: number | null): Response {
    const core = this.#core();
    const [client, server] = Object.values(new WebSocketPair());
    this.#ctx.acceptWebSocket(server, [watch.node]);
    const first = core.watchUpdate(watch.node, watch.limit, since);
    if (first) server.send(first.message);
    server.serializeAttachment({ ...watch, version: core.version } satisfies WatchAttachment);
    return upgradeResponse(request, client);
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
      for (const ws of this.#ctx.getWebSockets()) this.#bringUpToDate(ws);
    }, 0);
  }

  #bringUpToDate(ws: WebSocket): void {
    const core = this.#core();
    const watch = ws.deserializeAttachment() as WatchAttachment | null;
    if (!watch || closeIfStanding(ws, core.watchStanding(watch.node, watch.tokenHash))) return;
    const update = core.watchUpdate(watch.node, watch.limit, watch.version);
    if (!update) return;
    ws.send(update.message);
    ws.serializeAttachment({ ...watch, version: core.version } satisfies WatchAttachment);
  }

  /** The renewal a socket's message asks for; an invalid message is answered here, and gives null. */
  renewal(ws: WebSocket, raw: string | ArrayBuffer): SocketRenewal | null {
    // The same message as last time on this socket was valid then and is now: skip validating it
    // (and reading the attachment again: the socket's node, credential and IP never change).
    let renew = this.#lastRenew.get(ws);
    if (renew === undefined || renew.raw !== raw) {
      const watch = ws.deserializeAttachment() as WatchAttachment | null;
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
    const watch = ws.deserializeAttachment() as WatchAttachment | null;
    if (!watch) return null;
    const others = this.#ctx.getWebSockets(watch.node).some((other) => other !== ws && other.readyState === WebSocket.OPEN);
    return others ? null : { node: watch.node, lastSeen: socketLastSeen(this.#ctx, ws, watch) };
  }
}
