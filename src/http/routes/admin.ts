/** Admin routes, behind the ADMIN_TOKEN. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { CreateClusterRequest, CreateClusterResponse } from "../../contract/schemas.js";
import { adminAuth } from "../auth.js";
import { limitBody } from "../body.js";
import { bearerSecurity, problemResponses } from "../openapi-responses.js";
import { unwrap } from "../outcome.js";
import type { AppEnv } from "../types.js";
import { validationHook } from "../validation.js";

const createCluster = createRoute({
  method: "post",
  path: "/v1/admin/clusters",
  summary: "Create a cluster",
  description: "Returns the cluster's join token, only here; the directory stores only its hash.",
  security: bearerSecurity,
  middleware: [limitBody, adminAuth()] as const,
  request: { body: { content: { "application/json": { schema: CreateClusterRequest } }, required: true } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: CreateClusterResponse } } },
    ...problemResponses(400, 401, 403, 409, 413, 415),
  },
});

export const adminRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(createCluster, async (c) => {
  const { name } = c.req.valid("json");
  const created = unwrap(await c.env.CLUSTER.getByName(name).createCluster(name));
  return c.json(created, 201);
});
