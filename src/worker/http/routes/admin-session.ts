/** Admin: who the caller's admin token speaks for, so the console can sign in and show only what it may do. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { AdminSession } from "../../../contract/admin-tokens.js";
import { canManage } from "../../admin-principal.js";
import { adminAuth } from "../auth.js";
import { bearerSecurity, json, problemResponses } from "../openapi-responses.js";
import type { AppEnv } from "../types.js";

const session = createRoute({
  method: "get",
  path: "/v1/admin/session",
  tags: ["admin: tokens"],
  summary: "The caller's admin token: name, role and scope",
  description:
    "Checks an admin token without touching any cluster: `root` (`write`, `*`) for the ADMIN_TOKEN, `read` (`read`, `*`) for the ADMIN_READ_TOKEN, else the named token's own name, role and clusters.",
  security: bearerSecurity,
  middleware: [adminAuth({ scope: "any" })] as const,
  responses: { 200: { description: "The session", ...json(AdminSession) }, ...problemResponses(401, 403) },
});

export const adminSessionRoutes = new OpenAPIHono<AppEnv>().openapi(session, (c) => {
  const who = c.get("admin");
  return c.json({ role: who.role, name: who.name, clusters: who.clusters === "*" ? ["*"] : [...who.clusters], canManage: canManage(who) }, 200);
});
