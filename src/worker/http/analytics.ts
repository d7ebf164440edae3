/**
 * Optional Workers Analytics Engine output: when the `ANALYTICS` dataset binding exists, one
 * data point per request (cluster, route, method, status, latency), written after the answer and
 * without waiting (`writeDataPoint` returns at once). It costs nothing when the binding is
 * absent, and it sees what the objects' counters cannot: requests the Worker refused before any
 * object call (bad tokens, bad input).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./types.js";

const CLUSTER_IN_PATH = /^\/v1\/(?:admin\/)?clusters\/([^/]+)/;

export function analytics(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const dataset = c.env.ANALYTICS;
    if (!dataset) return next();
    const started = Date.now();
    await next();
    const cluster = CLUSTER_IN_PATH.exec(c.req.path)?.[1] ?? "";
    dataset.writeDataPoint({
      // The cluster is the sampling key: each cluster's traffic is sampled on its own.
      indexes: [cluster.slice(0, 96)],
      blobs: [cluster, c.req.routePath, c.req.method, String(c.res.status)],
      doubles: [c.res.status, Date.now() - started],
    });
  };
}
