/**
 * The runtime floor for the throughput benchmark: the cheapest Worker there is (it answers at
 * once), the cheapest Worker → Durable Object round trip (one RPC that returns a constant), and
 * the cheapest Durable Object socket message (a hibernatable WebSocket whose handler sends the
 * message back), started like the directory (same workerd, same bindings, same object classes
 * by name). No directory built as a Worker in front of a Durable Object answers faster on the
 * same machine. The broadcast floor (bench/changes.mjs): the object sends one string to every
 * socket it holds (kept in memory after the first broadcast, as the directory keeps its own).
 */
import { DurableObject } from "cloudflare:workers";

export class ClusterDirectory extends DurableObject {
  ping() {
    return "ok";
  }

  fetch() {
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(ws, message) {
    ws.send(message);
  }

  broadcast(text) {
    this.sockets ??= this.ctx.getWebSockets();
    for (const ws of this.sockets) ws.send(text);
    return String(this.sockets.length);
  }
}

export class ClusterCatalog extends DurableObject {}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/worker") return new Response("ok");
    if (pathname === "/rpc") return new Response(await env.CLUSTER.getByName("bench").ping());
    if (pathname === "/ws") return env.CLUSTER.getByName("bench").fetch(request);
    if (pathname === "/broadcast") return new Response(await env.CLUSTER.getByName("bench").broadcast(await request.text()));
    return new Response("not found", { status: 404 });
  },
};
