/** Liveness of the Worker. */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../types.js";

const healthz = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness",
  responses: { 200: { description: "The Worker is up", content: { "application/json": { schema: z.object({ ok: z.literal(true) }) } } } },
});

export const metaRoutes = new OpenAPIHono<AppEnv>().openapi(healthz, (c) => c.json({ ok: true as const }, 200));
