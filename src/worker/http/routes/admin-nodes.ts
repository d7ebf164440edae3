/** Admin: the nodes view, overrides (pin, block, drain), eviction and the handout preview. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import * as routes from "../../../contract/admin-routes.js";
import type { Handout } from "../../../contract/admin.js";
import { checkAddr } from "../../../contract/addresses.js";
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
    return c.json(unwrap(await c.env.CLUSTER.getByName(cluster).nodesView(wait ? Number(wait) : 0, since === undefined ? null : Number(since))), 200);
  })
  .openapi(evict, async (c) => {
    const { cluster, node } = c.req.valid("param");
    unwrap(await c.env.CLUSTER.getByName(cluster).evict(node, c.req.valid("json").reason, c.get("admin").name));
    return c.body(null, 204);
  })
  .openapi(handout, async (c) => {
    const { cluster, node } = c.req.valid("param");
    const { limit } = c.req.valid("query");
    const body = unwrap(await c.env.CLUSTER.getByName(cluster).handoutPreview(node, limit === undefined ? undefined : Number(limit)));
    return preserializedJson<Handout>(body);
  })
  .openapi(setOverride, async (c) => {
    const { cluster, node } = c.req.valid("param");
    const body = c.req.valid("json");
    const override = unwrap(
      await c.env.CLUSTER.getByName(cluster).setOverride(
        node,
        {
          action: body.action,
          addrs: body.action === "pin" ? body.addrs.map((a) => (checkAddr(a) as { canonical: string }).canonical) : undefined,
          labels: body.action === "pin" ? body.labels : undefined,
          reason: body.reason,
          expiresAt: body.expiresAt ? Date.parse(body.expiresAt) : null,
        },
        c.get("admin").name,
      ),
    );
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
