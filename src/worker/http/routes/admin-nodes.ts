/** Admin: the nodes view, overrides (see contract/overrides.ts), eviction and the handout preview. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { EvictRequest, Handout, NodeList, NodesQuery, Override, OverrideList, OverrideRequest } from "../../../contract/admin.js";
import { actionsInWords } from "../../../contract/overrides.js";
import { ClusterParams, NodeParams, PeersQuery } from "../../../contract/schemas.js";
import { adminAuth } from "../auth.js";
import { limitBody } from "../body.js";
import { bearerSecurity, json, problemResponses } from "../openapi-responses.js";
import { preserializedJson, unwrap } from "../outcome.js";
import type { AppEnv } from "../types.js";
import { validationHook } from "../validation.js";

const tags = ["admin: nodes"];

const nodes = createRoute({
  method: "get",
  path: "/v1/admin/clusters/{cluster}/nodes",
  tags,
  summary: "Every live, pinned and blocked node",
  description: "With `wait` and `since`, held until the cluster's version moves past `since` (or `wait` seconds pass): the console follows a cluster this way.",
  security: bearerSecurity,
  middleware: [adminAuth()] as const,
  request: { params: ClusterParams, query: NodesQuery },
  responses: { 200: { description: "The nodes view", ...json(NodeList) }, ...problemResponses(400, 401, 403, 404) },
});

const evict = createRoute({
  method: "post",
  path: "/v1/admin/clusters/{cluster}/nodes/{node}/evict",
  tags,
  summary: "End a node's lease now",
  description: "Its credential is retired too; it may register again with a join token unless blocked.",
  security: bearerSecurity,
  middleware: [limitBody, adminAuth()] as const,
  request: { params: NodeParams, body: { required: true, ...json(EvictRequest) } },
  responses: { 204: { description: "Evicted" }, ...problemResponses(400, 401, 403, 404, 413, 415) },
});

const handout = createRoute({
  method: "get",
  path: "/v1/admin/clusters/{cluster}/nodes/{node}/handout",
  tags,
  summary: "Preview a node's handout",
  description: "Exactly what the node would receive from GET …/peers now, built by the same code.",
  security: bearerSecurity,
  middleware: [adminAuth()] as const,
  request: { params: NodeParams, query: PeersQuery },
  responses: { 200: { description: "The handout", ...json(Handout) }, ...problemResponses(400, 401, 403, 404) },
});

const setOverride = createRoute({
  method: "put",
  path: "/v1/admin/clusters/{cluster}/overrides/{node}",
  tags,
  summary: `Set a node's override: ${actionsInWords("or")}`,
  security: bearerSecurity,
  middleware: [limitBody, adminAuth()] as const,
  request: { params: NodeParams, body: { required: true, ...json(OverrideRequest) } },
  responses: { 200: { description: "The override in force", ...json(Override) }, ...problemResponses(400, 401, 403, 404, 413, 415) },
});

const liftOverride = createRoute({
  method: "delete",
  path: "/v1/admin/clusters/{cluster}/overrides/{node}",
  tags,
  summary: "Lift a node's override",
  security: bearerSecurity,
  middleware: [adminAuth()] as const,
  request: { params: NodeParams },
  responses: { 204: { description: "Lifted" }, ...problemResponses(400, 401, 403, 404) },
});

const listOverrides = createRoute({
  method: "get",
  path: "/v1/admin/clusters/{cluster}/overrides",
  tags,
  summary: "List overrides",
  security: bearerSecurity,
  middleware: [adminAuth()] as const,
  request: { params: ClusterParams },
  responses: { 200: { description: "Overrides in force", ...json(OverrideList) }, ...problemResponses(400, 401, 403, 404) },
});

export const adminNodeRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(nodes, async (c) => {
    const { cluster } = c.req.valid("param");
    const { wait, since } = c.req.valid("query");
    return c.json(unwrap(await c.env.CLUSTER.getByName(cluster).nodesView(wait ?? 0, since ?? null)), 200);
  })
  .openapi(evict, async (c) => {
    const { cluster, node } = c.req.valid("param");
    unwrap(await c.env.CLUSTER.getByName(cluster).evict(node, c.req.valid("json").reason, c.get("admin").name));
    return c.body(null, 204);
  })
  .openapi(handout, async (c) => {
    const { cluster, node } = c.req.valid("param");
    const { limit } = c.req.valid("query");
    const body = unwrap(await c.env.CLUSTER.getByName(cluster).handoutPreview(node, limit));
    return preserializedJson<Handout>(body);
  })
  .openapi(setOverride, async (c) => {
    const { cluster, node } = c.req.valid("param");
    const { expiresAt, ...body } = c.req.valid("json");
    const override = unwrap(await c.env.CLUSTER.getByName(cluster).setOverride(node, { ...body, expiresAt: expiresAt ? Date.parse(expiresAt) : null }, c.get("admin").name));
    return c.json(override, 200);
  })
  .openapi(liftOverride, async (c) => {
    const { cluster, node } = c.req.valid("param");
    unwrap(await c.env.CLUSTER.getByName(cluster).liftOverride(node, c.get("admin").name));
    return c.body(null, 204);
  })
  .openapi(listOverrides, async (c) => {
    const { cluster } = c.req.valid("param");
    return c.json({ overrides: unwrap(await c.env.CLUSTER.getByName(cluster).listOverrides()) }, 200);
  });
