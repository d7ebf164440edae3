/**
 * The admin part of the wire contract: clusters, settings, join tokens, the nodes view,
 * overrides, the handout preview and the audit log. Shared by the Worker (validation, OpenAPI)
 * and the `peerdir` CLI (types).
 */
import { z } from "@hono/zod-openapi";
import { cidrProblem, MAX_RANGES } from "./cidr.js";
import { ADDRESS_POLICIES, DEFAULT_HANDOUT_LIMIT } from "./lease-policy.js";
import { MAX_ADDRS } from "./names.js";
import { MARK_ACTIONS, NODE_VIEW_STATES, OVERRIDE_ACTIONS, PEER_ACTIONS } from "./overrides.js";
import { REACH_STATES } from "./reachability.js";
import { JOIN_TOKEN_ID } from "./tokens.js";
import { ClusterName, Labels, Multiaddr, NodeId, Peer, QueryNumber, WaitSeconds } from "./schemas.js";

const Seconds = (what: string) => z.number().int(`${what} must be a whole number of seconds`).positive(`${what} must be positive`).max(Number.MAX_SAFE_INTEGER);

export const AddressPolicy = z.enum(ADDRESS_POLICIES).openapi({
  description:
    "`observed-ip`: every advertised address must be an /ip4 or /ip6 address equal to the client IP the directory sees (CF-Connecting-IP), so a node cannot advertise someone else's address.",
});

export const Probing = z.enum(["on", "off"]).openapi({
  description:
    "Whether the cluster's agents probe their peers (a TCP connect to each handed-out peer's first TCP address, at most once a minute per peer). `off`: no agent of this cluster probes; reachability stays unknown. Agents learn it from their registration and renewal answers.",
});

export const ProbeRanges = z
  .array(
    z.string().superRefine((value, ctx) => {
      const problem = cidrProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
  )
  .max(MAX_RANGES, `at most ${MAX_RANGES} ranges`)
  .openapi({
    description:
      "Address ranges (CIDR) the cluster's agents may probe: a peer whose first TCP address is not an IP in one of them is not probed (a DNS name lies in none). Empty: any address.",
    example: ["10.0.0.0/8", "fd00::/8"],
  });

export const ClusterSettings = z
  .object({
    minTtlSeconds: z.number().int(),
    defaultTtlSeconds: z.number().int(),
    maxTtlSeconds: z.number().int(),
    maxNodes: z.number().int(),
    minIntervalSeconds: z
      .number()
      .openapi({ description: "Each node may make one request per this many seconds, sustained (its token bucket's refill); 0 disables the per-node rate limit." }),
    defaultLimit: z
      .number()
      .int()
      .nullable()
      .openapi({
        description: `Handout size when a request gives no \`limit\` (${DEFAULT_HANDOUT_LIMIT} for a new cluster: every peer up to ${DEFAULT_HANDOUT_LIMIT + 1} nodes); null hands out every peer.`,
      }),
    addressPolicy: AddressPolicy,
    probing: Probing,
    probeRanges: ProbeRanges,
  })
  .openapi("ClusterSettings");

export const ClusterSettingsPatch = z
  .strictObject({
    minTtlSeconds: Seconds("minTtlSeconds").optional(),
    defaultTtlSeconds: Seconds("defaultTtlSeconds").optional(),
    maxTtlSeconds: Seconds("maxTtlSeconds").optional(),
    maxNodes: z.number().int().positive().max(1_000_000).optional(),
    minIntervalSeconds: z.number().min(0).max(3600).optional(),
    defaultLimit: z.number().int().positive().max(99_999).nullable().optional(),
    addressPolicy: AddressPolicy.optional(),
    probing: Probing.optional(),
    probeRanges: ProbeRanges.optional(),
  })
  .refine((p) => Object.keys(p).length > 0, "name at least one setting to change")
  .openapi("ClusterSettingsPatch");

export const ClusterSummary = z
  .object({
    name: ClusterName,
    nodes: z.number().int(),
    version: z.number().int(),
    createdAt: z.iso.datetime(),
    degraded: z.boolean().openapi({ description: "Self-preservation is holding back a mass expiry (more than half the leases at once)." }),
    reachability: z
      .object({
        reachable: z.number().int(),
        unknown: z.number().int(),
        unreachable: z.number().int(),
        notReady: z.number().int().openapi({ description: "Live nodes whose self-check says their own address does not accept connections (counted in their state too)." }),
      })
      .openapi({ description: "Live nodes by reachability state (see the nodes view)." }),
    consumerLoops: z.number().int().openapi({ description: "Live nodes whose agents say their local consumers ask for peers in a loop (see `consumers` in the nodes view)." }),
  })
  .openapi("ClusterSummary");

export const ForceExpireResult = z.object({ expired: z.number().int() }).openapi("ForceExpireResult");

export const ClusterDetail = ClusterSummary.extend({ settings: ClusterSettings }).openapi("ClusterDetail");

export const ClusterList = z.object({ clusters: z.array(ClusterDetail) }).openapi("ClusterList");

const FutureTime = z.iso.datetime({ offset: true }).openapi({ example: "2030-01-01T00:00:00Z" });

export const CreateJoinTokenRequest = z.strictObject({ expiresAt: FutureTime.optional() }).openapi("CreateJoinTokenRequest");

export const JoinTokenInfo = z.object({ id: z.string(), createdAt: z.iso.datetime(), expiresAt: z.iso.datetime().nullable() }).openapi("JoinTokenInfo");

export const CreatedJoinToken = JoinTokenInfo.extend({
  token: z.string().openapi({ description: "The join token. Returned only here; stored only as a hash." }),
}).openapi("CreatedJoinToken");

export const JoinTokenList = z.object({ joinTokens: z.array(JoinTokenInfo) }).openapi("JoinTokenList");

/** Where a nodes-view row comes from: a lease, or an override that carries its own peer. */
export const NodeSource = z.enum(["lease", ...PEER_ACTIONS]);
export const NodeViewState = z.enum(NODE_VIEW_STATES);

export const Reachability = z
  .object({
    state: z.enum(REACH_STATES).openapi({
      description:
        "`reachable`: a peer's probe connected within the window (about 3 minutes) and fewer than two have failed since; `unreachable`: at least two distinct peers failed to connect and none succeeded since (one in a cluster of two); `unknown`: not enough evidence either way.",
    }),
    failedReporters: z.number().int().openapi({ description: "Distinct peers whose latest probe within the window failed (all after the newest success)." }),
    okReporters: z.number().int().openapi({ description: "Distinct peers whose latest probe within the window succeeded." }),
    checkedAt: z.iso.datetime().nullable().openapi({ description: "When the newest report about this node was made; null without any." }),
  })
  .openapi("Reachability");

export const NodeConsumers = z
  .object({
    looping: z.boolean().openapi({
      description: "True while the node's agent says its local consumers (spegel, k3s) ask it for peers above its --consumer-loop-threshold (default 60 a minute).",
    }),
    requestsPerMinute: z.number().int().openapi({ description: "Their rate as last reported: the loop's peak while it lasts, the rate when it ended after." }),
    endpoint: z.string().nullable().openapi({ description: "The agent endpoint the loop asks (e.g. /id, /v1-k3s/p2p); null when none was reported." }),
    since: z.iso.datetime().nullable().openapi({ description: "When the loop started (looping) or ended (not looping); null when the agent never reported one." }),
  })
  .openapi("NodeConsumers");

export const NodeTransport = z.enum(["watch", "long-poll", "poll"]).openapi({
  description:
    "How the node follows its handout: an open watch socket, long-polls (`wait`), or plain polls; null when it has read no handout since the directory's object last started.",
});

export const NodeView = z
  .object({
    id: NodeId,
    addrs: z.array(z.string()),
    labels: z.record(z.string(), z.string()),
    source: NodeSource,
    state: NodeViewState,
    expiresAt: z.iso.datetime().nullable(),
    registeredAt: z.iso.datetime().nullable(),
    lastRenewedAt: z.iso.datetime().nullable(),
    observedIp: z.string().nullable(),
    ready: z
      .boolean()
      .openapi({ description: "False while the node's agent says its own advertised TCP address does not accept connections (its self-check). Pins are always ready." }),
    reachability: Reachability,
    consumers: NodeConsumers,
    transport: NodeTransport.nullable(),
    reason: z.string().nullable().openapi({ description: "Why the node is pinned, blocked or drained (its override's reason); null without an override." }),
  })
  .openapi("NodeView");

export const NodeList = z
  .object({ version: z.number().int().openapi({ description: "The cluster's version; pass it as `since` with `wait` to wait for the next change." }), nodes: z.array(NodeView) })
  .openapi("NodeList");

export const NodesQuery = z.object({
  wait: WaitSeconds("With `since`: hold the answer until the cluster's version differs from `since`, or this many seconds pass; then answer the current view (200 either way)."),
  since: QueryNumber(/^[0-9]{1,16}$/, "since must be a version from an earlier answer").optional(),
});

const Reason = z.string().trim().min(1, "say why: a reason is required").max(1024);

export const OverrideRequest = z
  .discriminatedUnion("action", [
    z.strictObject({
      action: z.enum(PEER_ACTIONS),
      addrs: z.array(Multiaddr).min(1).max(MAX_ADDRS),
      labels: Labels.optional(),
      reason: Reason,
      expiresAt: FutureTime.optional(),
    }),
    z.strictObject({ action: z.enum(MARK_ACTIONS), reason: Reason, expiresAt: FutureTime.optional() }),
  ])
  .openapi("OverrideRequest");

export const Override = z
  .object({
    node: NodeId,
    action: z.enum(OVERRIDE_ACTIONS),
    addrs: z.array(z.string()).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    reason: z.string(),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
  })
  .openapi("Override");

export const OverrideList = z.object({ overrides: z.array(Override) }).openapi("OverrideList");

export const EvictRequest = z.strictObject({ reason: Reason }).openapi("EvictRequest");

export const Handout = z
  .object({ version: z.number().int(), peers: z.array(Peer) })
  .openapi("Handout", { description: "Exactly what the node would receive from GET …/peers now." });

export const AuditActor = z.object({
  kind: z.enum(["admin", "join-token", "node", "system"]),
  id: z.string().openapi({
    description:
      "For `admin`, the name of the admin token used (`root` for the ADMIN_TOKEN; entries from before named tokens say `admin`); the node id, join token id, or `alarm` otherwise.",
  }),
});

export const AuditEntry = z
  .object({
    seq: z.number().int(),
    at: z.iso.datetime(),
    actor: AuditActor,
    action: z.string().openapi({ example: "node.join" }),
    node: z.string().nullable(),
    reason: z.string().nullable(),
    before: z.record(z.string(), z.unknown()).nullable().openapi({ description: "The changed record as it was; null where there was none." }),
    after: z.record(z.string(), z.unknown()).nullable().openapi({ description: "The changed record as it is now; null where it is gone." }),
  })
  .openapi("AuditEntry");

export const AuditPage = z
  .object({ entries: z.array(AuditEntry), next: z.string().nullable().openapi({ description: "Pass as `cursor` for older entries; null at the end." }) })
  .openapi("AuditPage");

export const AuditQuery = z.object({
  limit: QueryNumber(/^[1-9][0-9]{0,3}$/, "limit must be a whole number from 1 to 9999").optional(),
  cursor: QueryNumber(/^[1-9][0-9]{0,15}$/, "cursor must be a value of `next` from an earlier page").optional(),
  action: z
    .string()
    .regex(/^[a-z][a-z.-]{0,63}$/, "action must be an audit action such as node.join")
    .optional()
    .openapi({ description: "Only entries of this action, e.g. `override.set`." }),
  node: NodeId.optional().openapi({ description: "Only entries about this node." }),
  actor: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "actor must be an actor's id: an admin token's name, a node id, a join token id or alarm")
    .optional()
    .openapi({ description: "Only entries by this actor: an admin token's name (`root` for the ADMIN_TOKEN, `read` cannot act), a node id, a join token id, or `alarm`." }),
});

export const JoinTokenParams = z.object({ cluster: ClusterName, id: z.string().regex(JOIN_TOKEN_ID, "not a join token id") });

export type ClusterSettings = z.infer<typeof ClusterSettings>;
export type ClusterSettingsPatch = z.infer<typeof ClusterSettingsPatch>;
export type ClusterSummary = z.infer<typeof ClusterSummary>;
export type ClusterList = z.infer<typeof ClusterList>;
export type ClusterDetail = z.infer<typeof ClusterDetail>;
export type CreatedJoinToken = z.infer<typeof CreatedJoinToken>;
export type JoinTokenInfo = z.infer<typeof JoinTokenInfo>;
export type JoinTokenList = z.infer<typeof JoinTokenList>;
export type NodeView = z.infer<typeof NodeView>;
export type NodeList = z.infer<typeof NodeList>;
export type NodeTransport = z.infer<typeof NodeTransport>;
export type OverrideRequest = z.infer<typeof OverrideRequest>;
export type Override = z.infer<typeof Override>;
export type OverrideList = z.infer<typeof OverrideList>;
export type Handout = z.infer<typeof Handout>;
export type AuditEntry = z.infer<typeof AuditEntry>;
export type AuditPage = z.infer<typeof AuditPage>;
export type ForceExpireResult = z.infer<typeof ForceExpireResult>;
export type { AdminSession } from "./admin-tokens.js";
