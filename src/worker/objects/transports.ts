/**
 * How each node follows its handout, for the admin nodes view: an open watch socket, long-polls
 * or plain polls. Memory only (it is a view, not state worth a write), so it starts empty when
 * the object starts; a watch is read from the object's sockets, the rest from the last handout
 * request each node made.
 */
import type { NodeTransport } from "../../contract/admin.js";

export class NodeTransports {
  readonly #lastRead = new Map<string, "long-poll" | "poll">();

  /** A node read its handout; `waiting` when it asked to be held (long-poll). */
  noteRead(node: string, waiting: boolean): void {
    const transport = waiting ? "long-poll" : "poll";
    // Steady state changes nothing: one lookup per request, no write to the map.
    if (this.#lastRead.get(node) !== transport) this.#lastRead.set(node, transport);
  }

  /** The node's transport, given the nodes that hold an open watch socket now. */
  of(node: string, watching: ReadonlySet<string>): NodeTransport | null {
    return watching.has(node) ? "watch" : (this.#lastRead.get(node) ?? null);
  }

  /** Drops every node not in `keep` (those that left, expired or were evicted). */
  retain(keep: ReadonlySet<string>): void {
    for (const node of this.#lastRead.keys()) if (!keep.has(node)) this.#lastRead.delete(node);
  }
}
