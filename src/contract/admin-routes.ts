/**
 * The admin API's route table: every admin route's method, path, parameters, bodies and answers,
 * declared once. The Worker serves these declarations (adding its middleware and handlers, and
 * generating the OpenAPI document from them); the `peerdir` CLI and the console call them through
 * `hc<AdminAppType>` (hono/client), so a path or body shape changed here changes, and type-checks,
 * every client at once. The clients import this module as types only, so zod stays out of them.
 */
import { createRoute, type RouteConfig, type RouteConfigToTypedResponse, type z } from "@hono/zod-openapi";
import type { Env, Hono, ToSchema } from "hono";
import {
  AuditPage,
  AuditQuery,
  ClusterDetail,
  ClusterList,
  ClusterSettingsPatch,
  CreatedJoinToken,
  CreateJoinTokenRequest,
  EvictRequest,
  ForceExpireResult,
  Handout,
  JoinTokenList,
  JoinTokenParams,
  NodeList,
  NodesQuery,
  Override,
  OverrideList,
  OverrideRequest,
} from "./admin.js";
import { AdminSession, AdminTokenList, AdminTokenParams, CreateAdminTokenRequest, CreatedAdminToken } from "./admin-tokens.js";
import { ClusterExport, ImportResult } from "./export.js";
import { bearerSecurity, json, problemResponses } from "./openapi-responses.js";
import { actionsInWords } from "./overrides.js";
import { ClusterParams, CreateClusterRequest, CreateClusterResponse, NodeParams, PeersQuery } from "./schemas.js";

// ---- clusters ------------------------------------------------------------
const clustersTags = ["admin: clusters"];
export const clusters = {
  list: createRoute({
    method: "get",
    path: "/v1/admin/clusters",
    tags: clustersTags,
    summary: "List clusters",
    description: "Every cluster the token's scope covers, by name.",
    security: bearerSecurity,
    responses: { 200: { description: "Every cluster, by name", ...json(ClusterList) }, ...problemResponses(401, 403) },
  }),
  create: createRoute({
    method: "post",
    path: "/v1/admin/clusters",
    tags: clustersTags,
    summary: "Create a cluster",
    description: "Returns the cluster's first join token, only here; the directory stores only its hash. Needs the ADMIN_TOKEN or a `write` token scoped `*`.",
    security: bearerSecurity,
    request: { body: { required: true, ...json(CreateClusterRequest) } },
    responses: { 201: { description: "Created", ...json(CreateClusterResponse) }, ...problemResponses(400, 401, 403, 409, 413, 415) },
  }),
  show: createRoute({
    method: "get",
    path: "/v1/admin/clusters/{cluster}",
    tags: clustersTags,
    summary: "Show a cluster and its settings",
    security: bearerSecurity,
    request: { params: ClusterParams },
    responses: { 200: { description: "The cluster", ...json(ClusterDetail) }, ...problemResponses(400, 401, 403, 404) },
  }),
  update: createRoute({
    method: "patch",
    path: "/v1/admin/clusters/{cluster}",
    tags: clustersTags,
    summary: "Change a cluster's settings",
    security: bearerSecurity,
    request: { params: ClusterParams, body: { required: true, ...json(ClusterSettingsPatch) } },
    responses: { 200: { description: "The cluster as changed", ...json(ClusterDetail) }, ...problemResponses(400, 401, 403, 404, 413, 415) },
  }),
  forceExpire: createRoute({
    method: "post",
    path: "/v1/admin/clusters/{cluster}/expire",
    tags: clustersTags,
    summary: "Expire every lease that is due, now",
    description: "Overrides self-preservation: ends every lease past its expiry even when that is most of the cluster.",
    security: bearerSecurity,
    request: { params: ClusterParams },
    responses: { 200: { description: "How many leases ended", ...json(ForceExpireResult) }, ...problemResponses(400, 401, 403, 404) },
  }),
  remove: createRoute({
    method: "delete",
    path: "/v1/admin/clusters/{cluster}",
    tags: clustersTags,
    summary: "Delete a cluster and all its state",
    description: "Its join tokens and node credentials are refused at the edge within a minute. Needs the ADMIN_TOKEN or a `write` token scoped `*`.",
    security: bearerSecurity,
    request: { params: ClusterParams },
    responses: { 204: { description: "Deleted" }, ...problemResponses(400, 401, 403, 404) },
  }),
  exportCluster: createRoute({
    method: "get",
    path: "/v1/admin/clusters/{cluster}/export",
    tags: clustersTags,
    summary: "Export a cluster",
    description:
      "The cluster's whole state as a versioned document (no secrets: token and credential hashes only), for `POST /v1/admin/clusters/{cluster}/import` on another directory. Needs a write token covering the cluster (the ADMIN_TOKEN, or a named write token): a read token may not take the credential hashes.",
    security: bearerSecurity,
    request: { params: ClusterParams },
    responses: { 200: { description: "The export document", ...json(ClusterExport) }, ...problemResponses(400, 401, 403, 404) },
  }),
  importCluster: createRoute({
    method: "post",
    path: "/v1/admin/clusters/{cluster}/import",
    tags: clustersTags,
    summary: "Import a cluster",
    description:
      "Loads an export into a cluster that does not exist yet, or one with no nodes and no overrides, under the same name. With the same TOKEN_KEY as the exporting directory, every node credential and join token keeps working. Creates a cluster, so it needs the ADMIN_TOKEN or a write token scoped to every cluster.",
    security: bearerSecurity,
    request: { params: ClusterParams, body: { required: true, ...json(ClusterExport) } },
    responses: { 201: { description: "Imported", ...json(ImportResult) }, ...problemResponses(400, 401, 403, 409, 413, 415) },
  }),
};

// ---- joinTokens ------------------------------------------------------------
const joinTokensTags = ["admin: tokens"];
export const joinTokens = {
  create: createRoute({
    method: "post",
    path: "/v1/admin/clusters/{cluster}/join-tokens",
    tags: joinTokensTags,
    summary: "Issue a join token",
    description: "The token is returned only here; the directory stores only its hash.",
    security: bearerSecurity,
    request: { params: ClusterParams, body: { required: false, ...json(CreateJoinTokenRequest) } },
    responses: { 201: { description: "Issued", ...json(CreatedJoinToken) }, ...problemResponses(400, 401, 403, 404, 413, 415) },
  }),
  list: createRoute({
    method: "get",
    path: "/v1/admin/clusters/{cluster}/join-tokens",
    tags: joinTokensTags,
    summary: "List join tokens (never their secrets)",
    security: bearerSecurity,
    request: { params: ClusterParams },
    responses: { 200: { description: "The cluster's join tokens", ...json(JoinTokenList) }, ...problemResponses(400, 401, 403, 404) },
  }),
  revoke: createRoute({
    method: "delete",
    path: "/v1/admin/clusters/{cluster}/join-tokens/{id}",
    tags: joinTokensTags,
    summary: "Revoke a join token",
    security: bearerSecurity,
    request: { params: JoinTokenParams },
    responses: { 204: { description: "Revoked; it stops working at once" }, ...problemResponses(400, 401, 403, 404) },
  }),
  revokeCredential: createRoute({
    method: "delete",
    path: "/v1/admin/clusters/{cluster}/nodes/{node}/credential",
    tags: joinTokensTags,
    summary: "Revoke a node credential",
    description: "The credential stops working and the node's lease ends; the node must register again with a join token.",
    security: bearerSecurity,
    request: { params: NodeParams },
    responses: { 204: { description: "Revoked" }, ...problemResponses(400, 401, 403, 404) },
  }),
};

// ---- nodes ------------------------------------------------------------
const nodesTags = ["admin: nodes"];
export const nodes = {
  nodes: createRoute({
    method: "get",
    path: "/v1/admin/clusters/{cluster}/nodes",
    tags: nodesTags,
    summary: "Every live, pinned and blocked node",
    description: "With `wait` and `since`, held until the cluster's version moves past `since` (or `wait` seconds pass): the console follows a cluster this way.",
    security: bearerSecurity,
    request: { params: ClusterParams, query: NodesQuery },
    responses: { 200: { description: "The nodes view", ...json(NodeList) }, ...problemResponses(400, 401, 403, 404) },
  }),
  evict: createRoute({
    method: "post",
    path: "/v1/admin/clusters/{cluster}/nodes/{node}/evict",
    tags: nodesTags,
    summary: "End a node's lease now",
    description: "Its credential is retired too; it may register again with a join token unless blocked.",
    security: bearerSecurity,
    request: { params: NodeParams, body: { required: true, ...json(EvictRequest) } },
    responses: { 204: { description: "Evicted" }, ...problemResponses(400, 401, 403, 404, 413, 415) },
  }),
  handout: createRoute({
    method: "get",
    path: "/v1/admin/clusters/{cluster}/nodes/{node}/handout",
    tags: nodesTags,
    summary: "Preview a node's handout",
    description: "Exactly what the node would receive from GET …/peers now, built by the same code.",
    security: bearerSecurity,
    request: { params: NodeParams, query: PeersQuery },
    responses: { 200: { description: "The handout", ...json(Handout) }, ...problemResponses(400, 401, 403, 404) },
  }),
  setOverride: createRoute({
    method: "put",
    path: "/v1/admin/clusters/{cluster}/overrides/{node}",
    tags: nodesTags,
    summary: `Set a node's override: ${actionsInWords("or")}`,
    security: bearerSecurity,
    request: { params: NodeParams, body: { required: true, ...json(OverrideRequest) } },
    responses: { 200: { description: "The override in force", ...json(Override) }, ...problemResponses(400, 401, 403, 404, 413, 415) },
  }),
  liftOverride: createRoute({
    method: "delete",
    path: "/v1/admin/clusters/{cluster}/overrides/{node}",
    tags: nodesTags,
    summary: "Lift a node's override",
    security: bearerSecurity,
    request: { params: NodeParams },
    responses: { 204: { description: "Lifted" }, ...problemResponses(400, 401, 403, 404) },
  }),
  listOverrides: createRoute({
    method: "get",
    path: "/v1/admin/clusters/{cluster}/overrides",
    tags: nodesTags,
    summary: "List overrides",
    security: bearerSecurity,
    request: { params: ClusterParams },
    responses: { 200: { description: "Overrides in force", ...json(OverrideList) }, ...problemResponses(400, 401, 403, 404) },
  }),
};

// ---- audit ------------------------------------------------------------
export const audit = {
  audit: createRoute({
    method: "get",
    path: "/v1/admin/clusters/{cluster}/audit",
    tags: ["admin: audit"],
    summary: "Read the audit log",
    description:
      "Every admin mutation, join, leave and expiry, newest first, optionally of one action, one node and/or one actor (`actor`: the admin token's name, `root` for the ADMIN_TOKEN). The last 10,000 entries are kept.",
    security: bearerSecurity,
    request: { params: ClusterParams, query: AuditQuery },
    responses: { 200: { description: "One page", content: { "application/json": { schema: AuditPage } } }, ...problemResponses(400, 401, 403, 404) },
  }),
};

// ---- session ------------------------------------------------------------
export const session = {
  session: createRoute({
    method: "get",
    path: "/v1/admin/session",
    tags: ["admin: tokens"],
    summary: "The caller's admin token: name, role and scope",
    description:
      "Checks an admin token without touching any cluster: `root` (`write`, `*`) for the ADMIN_TOKEN, `read` (`read`, `*`) for the ADMIN_READ_TOKEN, else the named token's own name, role and clusters.",
    security: bearerSecurity,
    responses: { 200: { description: "The session", ...json(AdminSession) }, ...problemResponses(401, 403) },
  }),
};

// ---- adminTokens ------------------------------------------------------------
const adminTokensTags = ["admin: admin tokens"];
export const adminTokens = {
  create: createRoute({
    method: "post",
    path: "/v1/admin/tokens",
    tags: adminTokensTags,
    summary: "Mint a named admin token",
    description:
      'A `read` or `write` token for some clusters or every cluster (`["*"]`), optionally expiring. The token is returned only here; the directory stores only its SHA-256. ' +
      "Needs the ADMIN_TOKEN or a `write` token scoped `*`. Names are unique among tokens not revoked; `root` and `read` are reserved for the deployment's secrets.",
    security: bearerSecurity,
    request: { body: { required: true, ...json(CreateAdminTokenRequest) } },
    responses: { 201: { description: "Minted", ...json(CreatedAdminToken) }, ...problemResponses(400, 401, 403, 409, 413, 415) },
  }),
  list: createRoute({
    method: "get",
    path: "/v1/admin/tokens",
    tags: adminTokensTags,
    summary: "List named admin tokens (never the tokens themselves)",
    description: "Every token not revoked, expired ones included. Needs a token scoped `*`.",
    security: bearerSecurity,
    responses: { 200: { description: "The tokens, by name", ...json(AdminTokenList) }, ...problemResponses(401, 403) },
  }),
  revoke: createRoute({
    method: "delete",
    path: "/v1/admin/tokens/{id}",
    tags: adminTokensTags,
    summary: "Revoke a named admin token",
    description:
      "Refused everywhere within REVOCATION_SYNC_SECONDS (60 s by default), at once by the Worker instance that revoked it. Its name may then be used again. Needs the ADMIN_TOKEN or a `write` token scoped `*`.",
    security: bearerSecurity,
    request: { params: AdminTokenParams },
    responses: { 204: { description: "Revoked" }, ...problemResponses(400, 401, 403, 404) },
  }),
};

// ---- the clients' view ---------------------------------------------------------------------

/** Every admin route, by group. */
type Table = { clusters: typeof clusters; joinTokens: typeof joinTokens; nodes: typeof nodes; audit: typeof audit; session: typeof session; adminTokens: typeof adminTokens };
type Route = { [G in keyof Table]: Table[G][keyof Table[G]] }[keyof Table];

/** A route's input as hono's client takes it (what `OpenAPIHono.openapi` derives, without its handler types). */
type None = Record<never, never>;
type Part<R, K extends string, Target extends string> = R extends { request: { [k in K]: infer T } } ? { [t in Target]: z.input<T> } : None;
type JsonBody<R> = R extends { request: { body: { content: { "application/json": { schema: infer T } } } } } ? { json: z.input<T> } : None;
type InputOf<R> = Part<R, "params", "param"> & Part<R, "query", "query"> & JsonBody<R>;
type ConvertPath<T extends string> = T extends `${infer Start}/{${infer Param}}${infer Rest}` ? `${Start}/:${Param}${ConvertPath<Rest>}` : T;
type SchemaOf<R extends RouteConfig> = ToSchema<R["method"], ConvertPath<R["path"]>, { in: InputOf<R> }, RouteConfigToTypedResponse<R>>;
type EachSchema<R> = R extends RouteConfig ? SchemaOf<R> : never;
type Merged<U> = (U extends unknown ? (u: U) => void : never) extends (m: infer M) => void ? M : never;

/** The admin API as hono's typed client sees it: `hc<AdminAppType>(url)`. */
export type AdminAppType = Hono<Env, Merged<EachSchema<Route>>>;
