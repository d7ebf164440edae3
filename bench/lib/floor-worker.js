/**
 * The runtime floor for the throughput benchmark: the cheapest Worker there is (it answers at
 * once) and the cheapest Worker → Durable Object round trip (one RPC that returns a constant),
 * started like the directory (same workerd, same bindings, same object classes by name). No
 * directory built as a Worker in front of a Durable Object answers faster on the same machine.
 */
import { DurableObject } from "cloudflare:workers";

export class ClusterDirectory extends DurableObject {
  ping() {
    return "ok";
  }
}

export class ClusterCatalog extends DurableObject {}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/worker") return new Response("ok");
    if (pathname === "/rpc") return new Response(await env.CLUSTER.getByName("bench").ping());
    return new Response("not found", { status: 404 });
  },
};
