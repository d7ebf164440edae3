/**
 * The object's open watch sockets with their attachments, kept in memory beside the runtime's
 * own list. The runtime's list (`getWebSockets`, `deserializeAttachment`) survives hibernation
 * but costs a wrapper and a structured clone per socket on every read, which a change pushed to
 * a thousand watchers paid a thousand times; so it is read once per instance (after a start or
 * a wake from hibernation), and from then on sockets are added as they are accepted and dropped
 * as they end. Every attachment write still goes to the runtime too, so a wake finds it there.
 */
import { socketLastSeen, type WatchAttachment } from "./watchers.js";

export class WatchSockets {
  #open: Map<WebSocket, WatchAttachment> | null = null;

  constructor(private readonly ctx: DurableObjectState) {}

  /** Takes a socket over with its attachment (tagged with its node, for `ofNode`). */
  accept(ws: WebSocket, watch: WatchAttachment): void {
    this.ctx.acceptWebSocket(ws, [watch.node]);
    this.set(ws, watch);
  }

  /** The socket's attachment, or null for a socket that is not a watch. */
  get(ws: WebSocket): WatchAttachment | null {
    return this.#sockets().get(ws) ?? (ws.deserializeAttachment() as WatchAttachment | null);
  }

  /** Records a new attachment, in memory and with the runtime (which keeps it across hibernation). */
  set(ws: WebSocket, watch: WatchAttachment): void {
    this.#sockets().set(ws, watch);
    ws.serializeAttachment(watch);
  }

  /** The watcher was brought up to `version` (its attachment is the one kept here, updated in place). */
  advance(ws: WebSocket, watch: WatchAttachment, version: number): void {
    watch.version = version;
    ws.serializeAttachment(watch);
  }

  /** The socket ended or is being closed: it is no longer brought up to date. */
  drop(ws: WebSocket): void {
    this.#open?.delete(ws);
  }

  /** Every open watch with its attachment; sockets found no longer open are dropped on the way. */
  *all(): Generator<[WebSocket, WatchAttachment]> {
    const sockets = this.#sockets();
    for (const entry of sockets) {
      if (entry[0].readyState === WebSocket.OPEN) yield entry;
      else sockets.delete(entry[0]);
    }
  }

  get size(): number {
    return this.#sockets().size;
  }

  /** The latest sign of life on each node's open watch sockets (the leases' signals). */
  lastSeenByNode(): Map<string, number> {
    const seen = new Map<string, number>();
    for (const [ws, watch] of this.all()) {
      const at = socketLastSeen(this.ctx, ws, watch);
      if (at > (seen.get(watch.node) ?? 0)) seen.set(watch.node, at);
    }
    return seen;
  }

  #sockets(): Map<WebSocket, WatchAttachment> {
    if (this.#open === null) {
      const open = new Map<WebSocket, WatchAttachment>();
      for (const ws of this.ctx.getWebSockets()) {
        const watch = ws.deserializeAttachment() as WatchAttachment | null;
        if (watch && ws.readyState === WebSocket.OPEN) open.set(ws, watch);
      }
      this.#open = open;
    }
    return this.#open;
  }
}
