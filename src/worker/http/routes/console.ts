/**
 * The operator console: one page, its script and its styles, built from src/console by
 * scripts/build.mjs and served same-origin under a strict Content-Security-Policy (no inline
 * script or style, nothing from elsewhere). The page holds no data: it calls the admin API with
 * the token the operator signs in with.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { css, cssTag, html, htmlTag, js, jsTag } from "../../../../dist/console/assets.js";
import type { Context } from "hono";
import type { AppEnv } from "../types.js";

/** Same-origin only; the page's script and styles are files, so no 'unsafe-inline' anywhere. */
export const CONSOLE_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

const SECURITY_HEADERS = {
  "Content-Security-Policy": CONSOLE_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  // Revalidate each time (a 304 is cheap), so a deploy is seen at once.
  "Cache-Control": "no-cache",
};

const tags = ["console"];
const text = (type: string, description: string) => ({ 200: { description, content: { [type]: { schema: z.string() } } }, 304: { description: "Unchanged (ETag)" } });

const page = createRoute({ method: "get", path: "/console", tags, summary: "The operator console (HTML)", responses: text("text/html", "The console page") });
const script = createRoute({ method: "get", path: "/console/app.js", tags, summary: "The console's script", responses: text("text/javascript", "The console script") });
const style = createRoute({ method: "get", path: "/console/style.css", tags, summary: "The console's styles", responses: text("text/css", "The console styles") });

/** Answers `body` (200) or, when the browser has it already, 304; each with the security headers. */
function serve(body: string, tag: string, type: string) {
  const etag = `"${tag}"`;
  const headers = { ...SECURITY_HEADERS, ETag: etag, "Content-Type": `${type}; charset=utf-8` };
  return (c: Context<AppEnv>) => (c.req.header("If-None-Match") === etag ? c.body(null, 304, headers) : c.text(body, 200, headers));
}

export const consoleRoutes = new OpenAPIHono<AppEnv>()
  .openapi(page, serve(html, htmlTag, "text/html"))
  .openapi(script, serve(js, jsTag, "text/javascript"))
  .openapi(style, serve(css, cssTag, "text/css"));
