/** Admin: clusters — create, list, show, change settings, delete, export and import. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { ClusterDetail, ClusterList, ClusterSettingsPatch, ForceExpireResult } from "../../../contract/admin.js";
import { ClusterExport, ImportResult } from "../../../contract/export.js";
import { ClusterParams, CreateClusterRequest, CreateClusterResponse } from "../../../contract/schemas.js";
import { scopeCovers } from "../../../contract/tokens.js";
import { adminAuth } from "../auth.js";
import { limitBody, limitImportBody } from "../body.js";
import { raise } from "../errors.js";
import { bearerSecurity, json, problemResponses } from "../openapi-responses.js";
import { unwrap } from "../outcome.js";
import type { AppEnv } from "../types.js";
import { validationHook } from "../validation.js";
import { CATALOG_NAME } from "../../objects/cluster-catalog.js";

export { CATALOG_NAME } from "../../objects/cluster-catalog.js";

const tags = ["admin: clusters"];

const list = createRoute({
  method: "get",
  path: "/v1/admin/clusters",
  tags,
  summary: "List clusters",
  description: "Every cluster the token's scope covers, by name.",
  security: bearerSecurity,
  middleware: [adminAuth({ scope: "any" })] as const,
  responses: { 200: { description: "Every cluster, by name", ...json(ClusterList) }, ...problemResponses(401, 403) },
});

const create = createRoute({
  method: "post",
  path: "/v1/admin/clusters",
  tags,
  summary: "Create a cluster",
  description: "Returns the cluster's first join token, only here; the directory stores only its hash. Needs the ADMIN_TOKEN or a `write` token scoped `*`.",
  security: bearerSecurity,
  middleware: [limitBody, adminAuth()] as const,
  request: { body: { required: true, ...json(CreateClusterRequest) } },
  responses: { 201: { description: "Created", ...json(CreateClusterResponse) }, ...problemResponses(400, 401, 403, 409, 413, 415) },
});

const show = createRoute({
  method: "get",
  path: "/v1/admin/clusters/{cluster}",
  tags,
  summary: "Show a cluster and its settings",
  security: bearerSecurity,
  middleware: [adminAuth()] as const,
  request: { params: ClusterParams },
  responses: { 200: { description: "The cluster", ...json(ClusterDetail) }, ...problemResponses(400, 401, 403, 404) },
});

const update = createRoute({
  method: "patch",
  path: "/v1/admin/clusters/{cluster}",
  tags,
  summary: "Change a cluster's settings",
  security: bearerSecurity,
  middleware: [limitBody, adminAuth()] as const,
  request: { params: ClusterParams, body: { required: true, ...json(ClusterSettingsPatch) } },
  responses: { 200: { description: "The cluster as changed", ...json(ClusterDetail) }, ...problemResponses(400, 401, 403, 404, 413, 415) },
});

const forceExpire = createRoute({
  method: "post",
  path: "/v1/admin/clusters/{cluster}/expire",
  tags,
  summary: "Expire every lease that is due, now",
  description: "Overrides self-preservation: ends every lease past its expiry even when that is most of the cluster.",
  security: bearerSecurity,
  middleware: [adminAuth()] as const,
  request: { params: ClusterParams },
  responses: { 200: { description: "How many leases ended", ...json(ForceExpireResult) }, ...problemResponses(400, 401, 403, 404) },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/admin/clusters/{cluster}",
  tags,
  summary: "Delete a cluster and all its state",
  description: "Its join tokens and node credentials are refused at the edge within a minute. Needs the ADMIN_TOKEN or a `write` token scoped `*`.",
  security: bearerSecurity,
  middleware: [adminAuth({ scope: "all" })] as const,
  request: { params: ClusterParams },
  responses: { 204: { description: "Deleted" }, ...problemResponses(400, 401, 403, 404) },
});

const exportCluster = createRoute({
  method: "get",
  path: "/v1/admin/clusters/{cluster}/export",
  tags,
  summary: "Export a cluster",
  description:
    "The cluster's whole state as a versioned document (no secrets: token and credential hashes only), for `POST /v1/admin/clusters/{cluster}/import` on another directory. Needs a write token covering the cluster (the ADMIN_TOKEN, or a named write token): a read token may not take the credential hashes.",
  security: bearerSecurity,
  middleware: [adminAuth({ need: "write" })] as const,
  request: { params: ClusterParams },
  responses: { 200: { description: "The export document", ...json(ClusterExport) }, ...problemResponses(400, 401, 403, 404) },
});

const importCluster = createRoute({
  method: "post",
  path: "/v1/admin/clusters/{cluster}/import",
  tags,
  summary: "Import a cluster",
  description:
    "Loads an export into a cluster that does not exist yet, or one with no nodes and no overrides, under the same name. With the same TOKEN_KEY as the exporting directory, every node credential and join token keeps working. Creates a cluster, so it needs the ADMIN_TOKEN or a write token scoped to every cluster.",
  security: bearerSecurity,
  middleware: [limitImportBody, adminAuth({ scope: "all" })] as const,
  request: { params: ClusterParams, body: { required: true, ...json(ClusterExport) } },
  responses: { 201: { description: "Imported", ...json(ImportResult) }, ...problemResponses(400, 401, 403, 409, 413, 415) },
});

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
