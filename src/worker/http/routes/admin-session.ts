/** Admin: who the caller's admin token speaks for, so the console can sign in and show only what it may do. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import * as routes from "../../../contract/admin-routes.js";
import { canManage } from "../../admin-principal.js";
import { adminAuth } from "../auth.js";
import type { AppEnv } from "../types.js";

const session = createRoute({ ...routes.session.session, middleware: [adminAuth({ scope: "any" })] as const });

export const adminSessionRoutes = new OpenAPIHono<AppEnv>().openapi(session, (c) => {
  const who = c.get("admin");
  return c.json({ role: who.role, name: who.name, clusters: who.clusters === "*" ? ["*"] : [...who.clusters], canManage: canManage(who) }, 200);
});
