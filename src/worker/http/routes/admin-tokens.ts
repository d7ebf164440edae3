/** Admin: join tokens and node credentials — issue, list, revoke. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { CreatedJoinToken, CreateJoinTokenRequest, JoinTokenList, JoinTokenParams } from "../../../contract/admin.js";
import { ClusterParams, NodeParams } from "../../../contract/schemas.js";
import { adminAuth } from "../auth.js";
import { limitBody } from "../body.js";
import { bearerSecurity, json, problemResponses } from "../openapi-responses.js";
import { unwrap } from "../outcome.js";
import type { AppEnv } from "../types.js";
import { validationHook } from "../validation.js";

const tags = ["admin: tokens"];

const create = createRoute({
  method: "post",
  path: "/v1/admin/clusters/{cluster}/join-tokens",
  tags,
  summary: "Issue a join token",
  description: "The token is returned only here; the directory stores only its hash.",
  security: bearerSecurity,
  middleware: [limitBody, adminAuth()] as const,
  request: { params: ClusterParams, body: { required: false, ...json(CreateJoinTokenRequest) } },
  responses: { 201: { description: "Issued", ...json(CreatedJoinToken) }, ...problemResponses(400, 401, 403, 404, 413, 415) },
});

const list = createRoute({
  method: "get",
  path: "/v1/admin/clusters/{cluster}/join-tokens",
  tags,
  summary: "List join tokens (never their secrets)",
  security: bearerSecurity,
  middleware: [adminAuth()] as const,
  request: { params: ClusterParams },
  responses: { 200: { description: "The cluster's join tokens", ...json(JoinTokenList) }, ...problemResponses(400, 401, 403, 404) },
});

const revoke = createRoute({
  method: "delete",
  path: "/v1/admin/clusters/{cluster}/join-tokens/{id}",
  tags,
  summary: "Revoke a join token",
  security: bearerSecurity,
  middleware: [adminAuth()] as const,
  request: { params: JoinTokenParams },
  responses: { 204: { description: "Revoked; it stops working at once" }, ...problemResponses(400, 401, 403, 404) },
});

const revokeCredential = createRoute({
  method: "delete",
  path: "/v1/admin/clusters/{cluster}/nodes/{node}/credential",
  tags,
  summary: "Revoke a node credential",
  description: "The credential stops working and the node's lease ends; the node must register again with a join token.",
  security: bearerSecurity,
  middleware: [adminAuth()] as const,
  request: { params: NodeParams },
  responses: { 204: { description: "Revoked" }, ...problemResponses(400, 401, 403, 404) },
});

export const adminTokenRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(create, async (c) => {
    const { cluster } = c.req.valid("param");
    const { expiresAt } = c.req.valid("json");
    const issued = unwrap(await c.env.CLUSTER.getByName(cluster).createJoinToken(expiresAt ? Date.parse(expiresAt) : null, c.get("admin").name));
    return c.json(issued, 201);
  })
  .openapi(list, async (c) => {
    const { cluster } = c.req.valid("param");
    return c.json({ joinTokens: unwrap(await c.env.CLUSTER.getByName(cluster).listJoinTokens()) }, 200);
  })
  .openapi(revoke, async (c) => {
    const { cluster, id } = c.req.valid("param");
    unwrap(await c.env.CLUSTER.getByName(cluster).revokeJoinToken(id, c.get("admin").name));
    return c.body(null, 204);
  })
  .openapi(revokeCredential, async (c) => {
    const { cluster, node } = c.req.valid("param");
    unwrap(await c.env.CLUSTER.getByName(cluster).revokeCredential(node, c.get("admin").name));
    return c.body(null, 204);
  });
