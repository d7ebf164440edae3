/**
 * Admin: metrics in Prometheus text format, to read or write admin tokens, within their scope. One cluster's
 * come from its own object's memory; the directory-wide ones from the catalog only, so a scrape
 * costs the same with 10 clusters as with 100,000 (it never asks every cluster's object).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ClusterParams } from "../../../contract/schemas.js";
import { PROMETHEUS_CONTENT_TYPE } from "../../../contract/prometheus.js";
import { adminAuth } from "../auth.js";
import { bearerSecurity, problemResponses } from "../../../contract/openapi-responses.js";
import { unwrap } from "../outcome.js";
import type { AppEnv } from "../types.js";
import { validationHook } from "../validation.js";
import { CATALOG_NAME } from "./admin-clusters.js";

const tags = ["admin: metrics"];
const text = (description: string) => ({ description, content: { "text/plain": { schema: z.string().openapi({ example: 'peerdir_nodes{cluster="prod",state="live"} 42' }) } } });

const clusterMetrics = createRoute({
  method: "get",
  path: "/v1/admin/clusters/{cluster}/metrics",
  tags,
  summary: "One cluster's metrics (Prometheus text)",
  description:
    "Live, expired and blocked nodes; joins, leaves, expiries, evictions; renewals by transport; handouts and those answered 304; open watchers; the degraded flag; overrides by kind; node requests refused (by status) and rate-limited; the build version. Every series has a `cluster` label. Counters live in the cluster's object's memory and restart from zero with it.",
  security: bearerSecurity,
  middleware: [adminAuth()] as const,
  request: { params: ClusterParams },
  responses: { 200: text("Prometheus text exposition format 0.0.4"), ...problemResponses(400, 401, 403, 404) },
});

const directoryMetrics = createRoute({
  method: "get",
  path: "/v1/admin/metrics",
  tags,
  summary: "The directory's metrics (Prometheus text)",
  description:
    "Cluster counts and the build version, from the catalog alone: it never asks every cluster's object. Needs a token scoped `*` (read or write): the counts are directory-wide.",
  security: bearerSecurity,
  middleware: [adminAuth()] as const,
  responses: { 200: text("Prometheus text exposition format 0.0.4"), ...problemResponses(401, 403) },
});

const HEADERS = { "Content-Type": PROMETHEUS_CONTENT_TYPE, "Cache-Control": "no-store" };

export const adminMetricsRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(clusterMetrics, async (c) => {
    const { cluster } = c.req.valid("param");
    return c.text(unwrap(await c.env.CLUSTER.getByName(cluster).metrics()), 200, HEADERS);
  })
  .openapi(directoryMetrics, async (c) => c.text(await c.env.CATALOG.getByName(CATALOG_NAME).metrics(), 200, HEADERS));
