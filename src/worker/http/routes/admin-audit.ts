/** Admin: the cluster's audit log, newest first, paged by cursor. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import * as routes from "../../../contract/admin-routes.js";
import type { AuditPage } from "../../../contract/admin.js";
import { adminAuth } from "../auth.js";
import { unwrap } from "../outcome.js";
import type { AppEnv } from "../types.js";
import { validationHook } from "../validation.js";

const DEFAULT_PAGE = 100;

const audit = createRoute({ ...routes.audit.audit, middleware: [adminAuth()] as const });

export const adminAuditRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(audit, async (c) => {
  const { cluster } = c.req.valid("param");
  const { limit, cursor, action, node, actor } = c.req.valid("query");
  // RPC typing cannot carry the entries' free-form before/after; they are AuditPage by construction.
  const page = unwrap(await c.env.CLUSTER.getByName(cluster).auditPage(limit ?? DEFAULT_PAGE, cursor ?? null, { action, node, actor })) as AuditPage;
  return c.json(page, 200);
});
