/** Admin: join tokens and node credentials — issue, list, revoke. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import * as routes from "../../../contract/admin-routes.js";
import { adminAuth } from "../auth.js";
import { limitBody } from "../body.js";
import { unwrap } from "../outcome.js";
import type { AppEnv } from "../types.js";
import { validationHook } from "../validation.js";

const create = createRoute({ ...routes.joinTokens.create, middleware: [limitBody, adminAuth()] as const });

const list = createRoute({ ...routes.joinTokens.list, middleware: [adminAuth()] as const });

const revoke = createRoute({ ...routes.joinTokens.revoke, middleware: [adminAuth()] as const });

const revokeCredential = createRoute({ ...routes.joinTokens.revokeCredential, middleware: [adminAuth()] as const });

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
