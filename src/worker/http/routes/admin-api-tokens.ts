/**
 * Admin: named admin tokens — mint, list, revoke. Each is self-authenticating (name, id, role,
 * scope and expiry under a MAC by TOKEN_KEY: contract/tokens.ts), so the Worker authorises it
 * alone; the catalog keeps its SHA-256 and claims for listing, and logs its revocation, which
 * every isolate picks up within REVOCATION_SYNC_SECONDS (worker/revocations.ts).
 * Minting and revoking need the ADMIN_TOKEN or a `write` token scoped `*`; listing, any token scoped `*`.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { AdminTokenList, AdminTokenParams, CreateAdminTokenRequest, CreatedAdminToken } from "../../../contract/admin-tokens.js";
import { type AdminScope, RESERVED_ADMIN_NAMES } from "../../../contract/tokens.js";
import { CATALOG_NAME } from "../../objects/cluster-catalog.js";
import { noteRevoked } from "../../revocations.js";
import { newTokenId, sha256Hex } from "../../secrets.js";
import { tokenInfo } from "../../storage/catalog-tokens.js";
import { mintAdminToken } from "../../token-mac.js";
import { adminAuth } from "../auth.js";
import { limitBody } from "../body.js";
import { raise } from "../errors.js";
import { bearerSecurity, json, problemResponses } from "../openapi-responses.js";
import type { AppEnv } from "../types.js";
import { validationHook } from "../validation.js";

const tags = ["admin: admin tokens"];

const create = createRoute({
  method: "post",
  path: "/v1/admin/tokens",
  tags,
  summary: "Mint a named admin token",
  description:
    'A `read` or `write` token for some clusters or every cluster (`["*"]`), optionally expiring. The token is returned only here; the directory stores only its SHA-256. ' +
    "Needs the ADMIN_TOKEN or a `write` token scoped `*`. Names are unique among tokens not revoked; `root` and `read` are reserved for the deployment's secrets.",
  security: bearerSecurity,
  middleware: [limitBody, adminAuth()] as const,
  request: { body: { required: true, ...json(CreateAdminTokenRequest) } },
  responses: { 201: { description: "Minted", ...json(CreatedAdminToken) }, ...problemResponses(400, 401, 403, 409, 413, 415) },
});

const list = createRoute({
  method: "get",
  path: "/v1/admin/tokens",
  tags,
  summary: "List named admin tokens (never the tokens themselves)",
  description: "Every token not revoked, expired ones included. Needs a token scoped `*`.",
  security: bearerSecurity,
  middleware: [adminAuth()] as const,
  responses: { 200: { description: "The tokens, by name", ...json(AdminTokenList) }, ...problemResponses(401, 403) },
});

const revoke = createRoute({
  method: "delete",
  path: "/v1/admin/tokens/{id}",
  tags,
  summary: "Revoke a named admin token",
  description:
    "Refused everywhere within REVOCATION_SYNC_SECONDS (60 s by default), at once by the Worker instance that revoked it. Its name may then be used again. Needs the ADMIN_TOKEN or a `write` token scoped `*`.",
  security: bearerSecurity,
  middleware: [adminAuth()] as const,
  request: { params: AdminTokenParams },
  responses: { 204: { description: "Revoked" }, ...problemResponses(400, 401, 403, 404) },
});

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
