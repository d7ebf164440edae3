/**
 * The wire contract of named admin tokens and the admin session: minting, listing, revoking,
 * and what a signed-in token may do. Shared by the Worker (validation, OpenAPI), the CLI and
 * the console (types only).
 */
import { z } from "@hono/zod-openapi";
import { ClusterName } from "./schemas.js";
import { ADMIN_TOKEN_NAME, ADMIN_TOKEN_NAME_RULE, JOIN_TOKEN_ID, MAX_SCOPE_CLUSTERS } from "./tokens.js";

export const AdminRole = z.enum(["read", "write"]).openapi({ description: "`read`: the GET routes only; `write`: every route in the token's scope." });

export const AdminScopeList = z
  .array(z.union([z.literal("*"), ClusterName]))
  .min(1, 'name at least one cluster, or ["*"] for every cluster')
  .max(MAX_SCOPE_CLUSTERS, `a token names at most ${MAX_SCOPE_CLUSTERS} clusters; use ["*"] or several tokens`)
  .refine((list) => !list.includes("*") || list.length === 1, '"*" (every cluster) stands alone')
  .refine((list) => new Set(list).size === list.length, "a cluster is named twice")
  .openapi({ description: '`["*"]`: every cluster, including those created later; otherwise the clusters the token may see and touch.', example: ["prod-eu"] });

export const AdminTokenName = z.string().regex(ADMIN_TOKEN_NAME, ADMIN_TOKEN_NAME_RULE).openapi({ example: "ci-deploy" });

export const CreateAdminTokenRequest = z
  .strictObject({
    name: AdminTokenName,
    role: AdminRole,
    clusters: AdminScopeList,
    expiresAt: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ example: "2030-01-01T00:00:00Z", description: "When the token stops working; default never. Must be in the future." }),
  })
  .openapi("CreateAdminTokenRequest");

export const AdminTokenInfo = z
  .object({
    id: z.string().openapi({ description: "Non-secret: what revocation names." }),
    name: AdminTokenName,
    role: AdminRole,
    clusters: z.array(z.string()).openapi({ description: '`["*"]` or the clusters in scope.' }),
    createdAt: z.iso.datetime(),
    createdBy: z.string().openapi({ description: "The name of the token that minted it (`root` for the ADMIN_TOKEN)." }),
    expiresAt: z.iso.datetime().nullable(),
  })
  .openapi("AdminTokenInfo");

export const CreatedAdminToken = AdminTokenInfo.extend({
  token: z.string().openapi({ description: "The admin token. Returned only here; the directory stores only its SHA-256." }),
}).openapi("CreatedAdminToken");

export const AdminTokenList = z.object({ tokens: z.array(AdminTokenInfo) }).openapi("AdminTokenList");

export const AdminTokenParams = z.object({ id: z.string().regex(JOIN_TOKEN_ID, "not an admin token id") });

export const AdminSession = z
  .object({
    role: AdminRole,
    name: z.string().openapi({ description: "`root` for the ADMIN_TOKEN, `read` for the ADMIN_READ_TOKEN, else the named token's name." }),
    clusters: z.array(z.string()).openapi({ description: '`["*"]` or the clusters the token may see and touch.' }),
    canManage: z
      .boolean()
      .openapi({ description: "Whether it may create and delete clusters and mint, list and revoke admin tokens: the ADMIN_TOKEN or a `write` token scoped `*`." }),
  })
  .openapi("AdminSession");

export type CreateAdminTokenRequest = z.infer<typeof CreateAdminTokenRequest>;
export type AdminTokenInfo = z.infer<typeof AdminTokenInfo>;
export type CreatedAdminToken = z.infer<typeof CreatedAdminToken>;
export type AdminTokenList = z.infer<typeof AdminTokenList>;
export type AdminSession = z.infer<typeof AdminSession>;
