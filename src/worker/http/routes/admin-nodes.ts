/** Admin: the nodes view, overrides (see contract/overrides.ts), eviction and the handout preview. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import * as routes from "../../../contract/admin-routes.js";
import type { Handout } from "../../../contract/admin.js";
import { adminAuth } from "../auth.js";
import { limitBody } from "../body.js";
import { preserializedJson, unwrap } from "../outcome.js";
import type { AppEnv } from "../types.js";
import { validationHook } from "../validation.js";

const nodes = createRoute({ ...routes.nodes.nodes, middleware: [adminAuth()] as const });

const evict = createRoute({ ...routes.nodes.evict, middleware: [limitBody, adminAuth()] as const });

const handout = createRoute({ ...routes.nodes.handout, middleware: [adminAuth()] as const });

const setOverride = createRoute({ ...routes.nodes.setOverride, middleware: [limitBody, adminAuth()] as const });

const liftOverride = createRoute({ ...routes.nodes.liftOverride, middleware: [adminAuth()] as const });

const listOverrides = createRoute({ ...routes.nodes.listOverrides, middleware: [adminAuth()] as const });

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
