/** Admin: the cluster's audit log, newest first, paged by cursor. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { AuditPage, AuditQuery } from "../../../contract/admin.js";
import { ClusterParams } from "../../../contract/schemas.js";
import { adminAuth } from "../auth.js";
import { bearerSecurity, problemResponses } from "../openapi-responses.js";
import { unwrap } from "../outcome.js";
import type { AppEnv } from "../types.js";
import { validationHook } from "../validation.js";

const DEFAULT_PAGE = 100;

const audit = createRoute({
  method: "get",
  path: "/v1/admin/clusters/{cluster}/audit",
  tags: ["admin: audit"],
  summary: "Read the audit log",
  description:
    "Every admin mutation, join, leave and expiry, newest first, optionally of one action, one node and/or one actor (`actor`: the admin token's name, `root` for the ADMIN_TOKEN). The last 10,000 entries are kept.",
  security: bearerSecurity,
  middleware: [adminAuth()] as const,
  request: { params: ClusterParams, query: AuditQuery },
  responses: { 200: { description: "One page", content: { "application/json": { schema: AuditPage } } }, ...problemResponses(400, 401, 403, 404) },
});

export const adminAuditRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(audit, async (c) => {
  const { cluster } = c.req.valid("param");
  const { limit, cursor, action, node, actor } = c.req.valid("query");
  // RPC typing cannot carry the entries' free-form before/after; they are AuditPage by construction.
  const page = unwrap(await c.env.CLUSTER.getByName(cluster).auditPage(limit ?? DEFAULT_PAGE, cursor ?? null, { action, node, actor })) as AuditPage;
  return c.json(page, 200);
});
