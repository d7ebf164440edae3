/**
 * Admin: named admin tokens — mint, list, revoke. Each is self-authenticating (name, id, role,
 * scope and expiry under a MAC by TOKEN_KEY: contract/tokens.ts), so the Worker authorises it
 * alone; the catalog keeps its SHA-256 and claims for listing, and logs its revocation, which
 * every isolate picks up within REVOCATION_SYNC_SECONDS (worker/revocations.ts).
 * Minting and revoking need the ADMIN_TOKEN or a `write` token scoped `*`; listing, any token scoped `*`.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import * as routes from "../../../contract/admin-routes.js";
import { type AdminScope, RESERVED_ADMIN_NAMES } from "../../../contract/tokens.js";
import { CATALOG_NAME } from "../../objects/cluster-catalog.js";
import { noteRevoked } from "../../revocations.js";
import { newTokenId, sha256Hex } from "../../secrets.js";
import { tokenInfo } from "../../storage/catalog-tokens.js";
import { mintAdminToken } from "../../token-mac.js";
import { adminAuth } from "../auth.js";
import { limitBody } from "../body.js";
import { raise } from "../errors.js";
import type { AppEnv } from "../types.js";
import { validationHook } from "../validation.js";

const create = createRoute({ ...routes.adminTokens.create, middleware: [limitBody, adminAuth()] as const });

const list = createRoute({ ...routes.adminTokens.list, middleware: [adminAuth()] as const });

const revoke = createRoute({ ...routes.adminTokens.revoke, middleware: [adminAuth()] as const });

export const adminApiTokenRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const now = Date.now();
    // Tokens carry whole seconds.
    const expiresAt = body.expiresAt === undefined ? null : Math.floor(Date.parse(body.expiresAt) / 1000) * 1000;
    if (expiresAt !== null && expiresAt <= now) {
      raise("bad-request", "expiresAt must be in the future", { errors: [{ pointer: "/expiresAt", detail: "must be in the future" }] });
    }
    if (RESERVED_ADMIN_NAMES.includes(body.name)) {
      raise("conflict", `the name "${body.name}" is reserved for the deployment's ${body.name === "root" ? "ADMIN_TOKEN" : "ADMIN_READ_TOKEN"}; pick another`);
    }
    const clusters: AdminScope = body.clusters.includes("*") ? "*" : body.clusters;
    const id = newTokenId();
    const token = await mintAdminToken({ name: body.name, id, role: body.role, expiresAt, clusters }, c.env);
    const record = { id, name: body.name, role: body.role, clusters, tokenHash: await sha256Hex(token), createdAt: now, createdBy: c.get("admin").name, expiresAt };
    if (!(await c.env.CATALOG.getByName(CATALOG_NAME).addAdminToken(record))) {
      raise("conflict", `an admin token named "${body.name}" exists; revoke it first or pick another name`);
    }
    return c.json({ ...tokenInfo(record), token }, 201);
  })
  .openapi(list, async (c) => {
    const tokens = await c.env.CATALOG.getByName(CATALOG_NAME).adminTokens();
    return c.json({ tokens: tokens.map(tokenInfo) }, 200);
  })
  .openapi(revoke, async (c) => {
    const { id } = c.req.valid("param");
    const revoked = await c.env.CATALOG.getByName(CATALOG_NAME).revokeAdminToken(id);
    if (!revoked) raise("not-found", `there is no admin token with id "${id}"; list them with GET /v1/admin/tokens`);
    noteRevoked(`admin:${id}`, revoked.expiresAt ?? Number.MAX_SAFE_INTEGER);
    return c.body(null, 204);
  });
