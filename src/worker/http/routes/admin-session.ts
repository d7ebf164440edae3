/** Admin: which kind of admin token the caller holds, so the console can sign in and say what it may do. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { AdminSession } from "../../../contract/admin.js";
import { adminAuth } from "../auth.js";
import { bearerSecurity, json, problemResponses } from "../openapi-responses.js";
import type { AppEnv } from "../types.js";

const session = createRoute({
  method: "get",
  path: "/v1/admin/session",
  tags: ["admin: clusters"],
  summary: "The caller's admin role",
  description: "Checks an admin token without touching any cluster: `write` for the ADMIN_TOKEN, `read` for the ADMIN_READ_TOKEN.",
  security: bearerSecurity,
  middleware: [adminAuth()] as const,
  responses: { 200: { description: "The role", ...json(AdminSession) }, ...problemResponses(401, 403) },
});

export const adminSessionRoutes = new OpenAPIHono<AppEnv>().openapi(session, (c) => c.json({ role: c.get("adminRole") }, 200));
