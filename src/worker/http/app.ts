/**
 * The directory's HTTP application: routes, the OpenAPI document, and the single place where
 * errors, unknown routes and wrong methods become problem responses.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { methodNotAllowed } from "hono/method-not-allowed";
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
  app.route("/", adminClusterRoutes);
  app.route("/", adminTokenRoutes);
  app.route("/", adminNodeRoutes);
  app.route("/", adminAuditRoutes);
  app.route("/", adminSessionRoutes);
  app.route("/", adminApiTokenRoutes);
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
