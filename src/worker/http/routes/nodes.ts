/**
 * Node routes: register/renew, leave, and the peer handout. Each validates its input against
 * the contract, hands it to the cluster's Durable Object, and renders the outcome.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import { NodeParams, PeersDelta, PeersQuery, PeersResponse, RegisterRequest, RegisterResponse, WatchQuery } from "../../../contract/schemas.js";
import { readPeersReply } from "../../objects/calls.js";
import { clientAddress } from "../../host.js";
import { RECONNECT_WINDOW_HEADER } from "../../../contract/watch.js";
import { WATCH_HEADERS } from "../../objects/watchers.js";
import { raise } from "../errors.js";
import { nodeAuth } from "../auth.js";
import { limitBody } from "../body.js";
import { bearerSecurity, problemResponses } from "../../../contract/openapi-responses.js";
import { preserializedJson, unwrap } from "../outcome.js";
import type { AppEnv } from "../types.js";
import { validationHook } from "../validation.js";

const register = createRoute({
  method: "put",
  path: "/v1/clusters/{cluster}/nodes/{node}",
  summary: "Register a node, or renew its lease",
  description:
    "A join token registers a node id that has no live lease (201, with the node credential, returned only then). " +
    "The node's credential renews its lease (200), or starts a new one after it ended (201, no new credential).",
  security: bearerSecurity,
  middleware: [limitBody, nodeAuth()] as const,
  request: {
    params: NodeParams,
    body: { content: { "application/json": { schema: RegisterRequest } }, required: true },
  },
  responses: {
    200: { description: "Lease renewed", content: { "application/json": { schema: RegisterResponse } } },
    201: { description: "Lease created", content: { "application/json": { schema: RegisterResponse } } },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 429),
  },
});

const leave = createRoute({
  method: "delete",
  path: "/v1/clusters/{cluster}/nodes/{node}",
  summary: "Leave: end the node's lease now",
  security: bearerSecurity,
  middleware: [nodeAuth()] as const,
  request: { params: NodeParams },
  responses: { 204: { description: "Left; gone from every handout" }, ...problemResponses(400, 401, 403, 404, 429) },
});

const peers = createRoute({
  method: "get",
  path: "/v1/clusters/{cluster}/nodes/{node}/peers",
  summary: "The node's peer handout",
  description:
    "Every live node but the requester, sorted by id (same-zone peers first when the requester has a `zone` label); " +
    "with `limit`, a stable rendezvous-hashed subset. " +
    'ETag is `"<version>"`; a matching If-None-Match gets 304, or with `wait` is held until the version changes. ' +
    "With `since`, only the changes since that version.",
  security: bearerSecurity,
  middleware: [nodeAuth()] as const,
  request: { params: NodeParams, query: PeersQuery },
  responses: {
    200: { description: "The handout, or with `since` the changes", content: { "application/json": { schema: z.union([PeersResponse, PeersDelta]) } } },
    304: { description: "Unchanged since the ETag in If-None-Match (after `wait` seconds, with `wait`)" },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const watch = createRoute({
  method: "get",
  path: "/v1/clusters/{cluster}/nodes/{node}/watch",
  summary: "Watch the node's handout over a WebSocket",
  description:
    'Upgrade to a WebSocket. The directory sends `{"type":"snapshot","version","peers"}`, then ' +
    '`{"type":"delta","version","upserts","removes"}` whenever this node\'s handout changes. `since` resumes with only the missed ' +
    'changes (or a snapshot when they are no longer kept). Send the text "ping" (answered "pong") at least every ' +
    "`renewAfterSeconds`: the pings hold the lease while the socket is open, with no renewal request; when they stop, or the " +
    'socket closes, the lease runs out one TTL after the last ping. Send `{"type":"renew","addrs":[…]}` to change addrs, ' +
    "labels or TTL over the socket. The node credential goes in Authorization, or, " +
    "from a browser, as the subprotocol `bearer.<credential>` offered with `peerdir`.",
  security: bearerSecurity,
  middleware: [nodeAuth({ websocket: true })] as const,
  request: { params: NodeParams, query: WatchQuery },
  responses: {
    101: {
      description: "Switching protocols: the watch is open",
      headers: {
        [RECONNECT_WINDOW_HEADER]: {
          description: "Seconds to spread a reconnect over, uniformly, when the socket is cut (a deploy cuts every socket at once): the cluster's live nodes / 500, 10 to 300.",
          schema: { type: "integer", minimum: 10, maximum: 300 },
        },
      },
    },
    ...problemResponses(400, 401, 403, 404, 426, 429),
  },
});

export const nodeRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(register, async (c) => {
    const { cluster, node } = c.req.valid("param");
    const body = c.req.valid("json");
    // The validated body is passed as it is: zod leaves absent fields out and gives addresses in canonical form.
    const reply = await c.env.CLUSTER.getByName(cluster).register(node, c.get("tokenHash"), clientAddress(c.req), body);
    if (typeof reply === "string") return preserializedJson<RegisterResponse>(reply);
    return preserializedJson<RegisterResponse, 201>(unwrap(reply).body, {}, 201);
  })
  .openapi(leave, async (c) => {
    const { cluster, node } = c.req.valid("param");
    unwrap(await c.env.CLUSTER.getByName(cluster).leave({ node, tokenHash: c.get("tokenHash") }));
    return c.body(null, 204);
  })
  .openapi(peers, async (c) => {
    const { cluster, node } = c.req.valid("param");
    const { limit, since, wait } = c.req.valid("query");
    const reply = await c.env.CLUSTER.getByName(cluster).peers(node, c.get("tokenHash"), c.req.header("If-None-Match") ?? null, limit, since, wait);
    const { etag, body } = readPeersReply(typeof reply === "string" ? reply : unwrap(reply));
    const headers = { ETag: etag, "Cache-Control": "private, no-cache" };
    if (body === null) return c.body(null, 304, headers);
    return preserializedJson<PeersResponse>(body, headers);
  })
  .openapi(watch, async (c) => {
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      raise("upgrade-required", "this route is a WebSocket: send `Upgrade: websocket` (or use GET …/peers with `wait` for long-polling)", {
        headers: { Upgrade: "websocket" },
      });
    }
    const { cluster, node } = c.req.valid("param");
    const { limit, since } = c.req.valid("query");
    const target = new URL("https://cluster.peerdir.internal/watch");
    if (limit !== undefined) target.searchParams.set("limit", String(limit));
    if (since !== undefined) target.searchParams.set("since", String(since));
    const headers = new Headers({ Upgrade: "websocket", [WATCH_HEADERS.node]: node, [WATCH_HEADERS.tokenHash]: c.get("tokenHash") });
    const observedIp = clientAddress(c.req);
    if (observedIp) headers.set(WATCH_HEADERS.observedIp, observedIp);
    const protocols = c.req.header("Sec-WebSocket-Protocol");
    if (protocols) headers.set("Sec-WebSocket-Protocol", protocols);
    // The object's fetch only ever serves this upgrade; it is not reachable from outside.
    return c.env.CLUSTER.getByName(cluster).fetch(new Request(target, { headers })) as unknown as ReturnType<typeof c.body>;
  });
