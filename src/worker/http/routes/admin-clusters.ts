/** Admin: clusters — create, list, show, change settings, delete, export and import. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import * as routes from "../../../contract/admin-routes.js";
import { scopeCovers } from "../../../contract/tokens.js";
import { adminAuth } from "../auth.js";
import { limitBody, limitImportBody } from "../body.js";
import { raise } from "../errors.js";
import { unwrap } from "../outcome.js";
import type { AppEnv } from "../types.js";
import { validationHook } from "../validation.js";
import { CATALOG_NAME } from "../../objects/cluster-catalog.js";

export { CATALOG_NAME } from "../../objects/cluster-catalog.js";

const list = createRoute({ ...routes.clusters.list, middleware: [adminAuth({ scope: "any" })] as const });

const create = createRoute({ ...routes.clusters.create, middleware: [limitBody, adminAuth()] as const });

const show = createRoute({ ...routes.clusters.show, middleware: [adminAuth()] as const });

const update = createRoute({ ...routes.clusters.update, middleware: [limitBody, adminAuth()] as const });

const forceExpire = createRoute({ ...routes.clusters.forceExpire, middleware: [adminAuth()] as const });

const remove = createRoute({ ...routes.clusters.remove, middleware: [adminAuth({ scope: "all" })] as const });

const exportCluster = createRoute({ ...routes.clusters.exportCluster, middleware: [adminAuth({ need: "write" })] as const });

const importCluster = createRoute({ ...routes.clusters.importCluster, middleware: [limitImportBody, adminAuth({ scope: "all" })] as const });

export const adminClusterRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(list, async (c) => {
    const catalog = c.env.CATALOG.getByName(CATALOG_NAME);
    const scope = c.get("admin").clusters;
    const names = (await catalog.list()).filter((name) => scopeCovers(scope, name));
    const summaries = await Promise.all(names.map((name) => c.env.CLUSTER.getByName(name).summary()));
    const clusters = [];
    for (const [i, outcome] of summaries.entries()) {
      // A name the catalog still holds but whose cluster is gone: drop it, and heal the catalog.
      if (outcome.ok) clusters.push(outcome.value);
      else await catalog.remove(names[i]);
    }
    return c.json({ clusters }, 200);
  })
  .openapi(create, async (c) => {
    const { name } = c.req.valid("json");
    const outcome = await c.env.CLUSTER.getByName(name).createCluster(c.get("admin").name);
    // Also on 409: a cluster that exists must be listed, whatever happened before.
    if (outcome.ok || outcome.problem.status === 409) await c.env.CATALOG.getByName(CATALOG_NAME).add(name, Date.now());
    return c.json(unwrap(outcome), 201);
  })
  .openapi(show, async (c) => {
    const { cluster } = c.req.valid("param");
    return c.json(unwrap(await c.env.CLUSTER.getByName(cluster).summary()), 200);
  })
  .openapi(update, async (c) => {
    const { cluster } = c.req.valid("param");
    return c.json(unwrap(await c.env.CLUSTER.getByName(cluster).updateSettings(c.req.valid("json"), c.get("admin").name)), 200);
  })
  .openapi(forceExpire, async (c) => {
    const { cluster } = c.req.valid("param");
    return c.json(unwrap(await c.env.CLUSTER.getByName(cluster).forceExpire(c.get("admin").name)), 200);
  })
  .openapi(exportCluster, async (c) => {
    const { cluster } = c.req.valid("param");
    return c.json(unwrap(await c.env.CLUSTER.getByName(cluster).exportCluster()), 200);
  })
  .openapi(importCluster, async (c) => {
    const { cluster } = c.req.valid("param");
    const doc = c.req.valid("json");
    if (doc.cluster !== cluster) {
      raise("bad-request", `the document is cluster "${doc.cluster}"'s; import it under that name (its node credentials name their cluster)`);
    }
    const result = unwrap(await c.env.CLUSTER.getByName(cluster).importCluster(doc));
    await c.env.CATALOG.getByName(CATALOG_NAME).add(cluster, doc.settings.createdAt);
    return c.json(result, 201);
  })
  .openapi(remove, async (c) => {
    const { cluster } = c.req.valid("param");
    unwrap(await c.env.CLUSTER.getByName(cluster).destroyCluster());
    await c.env.CATALOG.getByName(CATALOG_NAME).remove(cluster);
    return c.body(null, 204);
  });
