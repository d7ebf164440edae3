/**
 * The directory's HTTP application: routes, the OpenAPI document, and the single place where
 * errors, unknown routes and wrong methods become problem responses.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Hono } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import type { AdminAppType } from "../../contract/admin-routes.js";
import { problemResponse } from "../refusals.js";
import { raise, renderError } from "./errors.js";
import { adminApiTokenRoutes } from "./routes/admin-api-tokens.js";
import { adminAuditRoutes } from "./routes/admin-audit.js";
import { adminClusterRoutes } from "./routes/admin-clusters.js";
import { adminNodeRoutes } from "./routes/admin-nodes.js";
import { adminTokenRoutes } from "./routes/admin-tokens.js";
import { analytics } from "./analytics.js";
import { adminMetricsRoutes } from "./routes/admin-metrics.js";
import { adminSessionRoutes } from "./routes/admin-session.js";
import { consoleRoutes } from "./routes/console.js";
import { metaRoutes } from "./routes/meta.js";
import { nodeRoutes } from "./routes/nodes.js";
import type { AppEnv } from "./types.js";
import { problem } from "../../contract/problem.js";

/**
 * The admin JSON API, every group chained so that the value's type carries every route. It is
 * checked below against AdminAppType, the type the CLI's and the console's client is built on.
 */
const adminRoutes = new OpenAPIHono<AppEnv>()
  .route("/", adminClusterRoutes)
  .route("/", adminTokenRoutes)
  .route("/", adminNodeRoutes)
  .route("/", adminAuditRoutes)
  .route("/", adminSessionRoutes)
  .route("/", adminApiTokenRoutes);

// Fails to compile when the routes served and the clients' route table part ways.
type Served = typeof adminRoutes extends Hono<infer _E, infer S> ? S : never;
type Declared = AdminAppType extends Hono<infer _E, infer S> ? S : never;
const sameRoutes: [Served, Declared] extends [Declared, Served] ? true : false = true;
void sameRoutes;

export function createApp() {
  const app = new OpenAPIHono<AppEnv>();
  app.use(analytics());
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        raise("method-not-allowed", `${c.req.method} is not allowed on ${c.req.path}; allowed: ${methods.join(", ")}`, {
          headers: { Allow: methods.join(", ") },
        }),
    }),
  );
  app.route("/", metaRoutes);
  app.route("/", adminRoutes);
  app.route("/", adminMetricsRoutes);
  app.route("/", nodeRoutes);
  app.route("/", consoleRoutes);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "peerdir",
      version: "1",
      description: "One authoritative peer directory per P2P cluster. Errors are application/problem+json (RFC 9457).",
    },
  });
  app.notFound((c) => problemResponse(problem("not-found", `no route for ${c.req.method} ${c.req.path}; see /openapi.json`)));
  app.onError(renderError);
  return app;
}
