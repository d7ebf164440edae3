/**
 * The wire contract: every request and response body of the directory, as zod schemas.
 *
 * One source of truth. The Worker validates requests with these schemas (through
 * `@hono/zod-openapi` routes, which also generate `/openapi.json`), and the agent and CLI import
 * the inferred types, so both sides of every call are typed from the same definitions.
 */
import { z } from "@hono/zod-openapi";
import { checkAddr, MAX_ADDR_LENGTH } from "./addresses.js";
import { CONSUMER_ENDPOINTS } from "./consumers.js";
import { TTL_BOUNDS_TEXT } from "./lease-policy.js";
import { CLUSTER_NAME, CLUSTER_NAME_RULE, LABEL_KEY, LABEL_KEY_RULE, MAX_ADDRS, MAX_LABEL_VALUE, MAX_LABELS, NODE_ID, NODE_ID_RULE } from "./names.js";
import { PROBE_RESULTS, REACH_STATES } from "./reachability.js";

export const ClusterName = z.string().regex(CLUSTER_NAME, CLUSTER_NAME_RULE).openapi({ example: "prod-eu" });

export const NodeId = z.string().regex(NODE_ID, NODE_ID_RULE).openapi({ example: "node-a" });

/** An advertised address; validation yields its canonical form, the one stored and handed out. */
export const Multiaddr = z
  .string()
  .max(MAX_ADDR_LENGTH)
  .transform((value, ctx) => {
    const verdict = checkAddr(value);
    if (verdict.ok) return verdict.canonical;
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)}: ${verdict.reason}` });
    return z.NEVER;
  })
  .openapi({ example: "/ip4/10.0.0.1/tcp/5001/p2p/12D3KooWQYYD1DDK4HCYgXHiVaPLVBVpUMpZzDXjHZTJsU9rZPGR" });

/**
 * zod's record skips an own `__proto__` key (JSON.parse makes one) without a word, so a label
 * named `__proto__` would register as no label at all. Every key is checked against the grammar
 * on the raw object first, so it is refused like any other key outside it.
 */
const refuseKeysOutsideGrammar = (value: unknown, ctx: z.RefinementCtx) => {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const key of Object.keys(value)) {
      if (!LABEL_KEY.test(key)) ctx.addIssue({ code: "custom", message: `${JSON.stringify(key)}: ${LABEL_KEY_RULE}`, path: [key], input: value });
    }
  }
  return value;
};

export const Labels = z
  .preprocess(
    refuseKeysOutsideGrammar,
    z
      .record(z.string().regex(LABEL_KEY, LABEL_KEY_RULE), z.string().max(MAX_LABEL_VALUE))
      .refine((labels) => Object.keys(labels).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`),
  )
  .openapi({ example: { zone: "eu-west-1a" } });

export const TtlSeconds = z
  .number()
  .int("ttlSeconds must be a whole number of seconds")
  .positive("ttlSeconds must be positive")
  .max(Number.MAX_SAFE_INTEGER, "ttlSeconds must be a safe integer")
  .openapi({ example: 60, description: `Requested lease length; clamped to the cluster's bounds (default ${TTL_BOUNDS_TEXT}).` });

/** At most this many peers per report: the largest handout a node can get. */
export const MAX_REPORTS = 1000;

export const ProbeReport = z
  .strictObject({
    result: z.enum(PROBE_RESULTS).openapi({
      description: "`ok`: the peer's first TCP address accepted a connection; `failed`: it did not within 3 s; `unknown`: the peer has no TCP address (UDP/QUIC only).",
    }),
    ageSeconds: z.number().int().min(0).max(3600).openapi({ description: "How long ago the probe finished, so the reporter's clock does not matter." }),
  })
  .openapi("ProbeReport");

export const Reports = z
  .record(NodeId, ProbeReport)
  .refine((reports) => Object.keys(reports).length <= MAX_REPORTS, `at most ${MAX_REPORTS} reports`)
  .openapi({
    description: "Peer id → this node's latest probe of that peer, only those finished since its last report. Reports about itself or about peers outside its handout are ignored.",
    example: { "node-b": { result: "ok", ageSeconds: 12 }, "node-c": { result: "failed", ageSeconds: 40 } },
  });

export const ConsumerReport = z
  .strictObject({
    looping: z.boolean().openapi({ description: "True while local consumers ask the agent for peers above its --consumer-loop-threshold (requests a minute)." }),
    requestsPerMinute: z.number().int().min(0).max(100_000_000).openapi({ description: "Their rate when this state was reported, in requests a minute." }),
    endpoint: z.enum(CONSUMER_ENDPOINTS).nullable().openapi({ description: "The endpoint they asked most in the last minute; null when none." }),
    sinceSeconds: z
      .number()
      .int()
      .min(0)
      .max(10 * 365 * 86400)
      .openapi({ description: "How long ago this state began (the loop started, or ended), so the reporter's clock does not matter." }),
  })
  .openapi("ConsumerReport", {
    description: "Whether this node's local consumers (spegel, k3s) ask its agent for peers in a loop. Sent only when it changes, and once per agent run.",
    example: { looping: true, requestsPerMinute: 1800, endpoint: "/id", sinceSeconds: 4 },
  });

export const RegisterRequest = z
  .strictObject({
    addrs: z.array(Multiaddr).min(1).max(MAX_ADDRS),
    labels: Labels.optional(),
    ttlSeconds: TtlSeconds.optional(),
    ready: z.boolean().optional().openapi({
      description:
        "False while this node's own advertised TCP address does not accept connections (the agent's self-check); not-ready nodes are handed out after every ready one. Default true.",
    }),
    reports: Reports.optional(),
    consumers: ConsumerReport.optional(),
  })
  .openapi("RegisterRequest");

export const RegisterResponse = z
  .object({
    node: NodeId,
    ttlSeconds: z.number().int(),
    expiresAt: z.iso.datetime(),
    renewAfterSeconds: z.number().int(),
    version: z.number().int(),
    credential: z.string().optional().openapi({ description: "The node credential. Returned once, when a join token registers the node; stored only as a hash." }),
    probes: z
      .object({ probing: z.enum(["on", "off"]), ranges: z.array(z.string()) })
      .optional()
      .openapi({
        description:
          "Present only while the cluster restricts its agents' peer probes (its `probing` and `probeRanges` settings): `probing: off`, no probes at all; `ranges`, only peers whose first TCP address lies in one of them (empty: any). Absent: probe any peer.",
      }),
  })
  .openapi("RegisterResponse");

export const Peer = z
  .object({
    id: NodeId,
    addrs: z.array(z.string()),
    labels: z.record(z.string(), z.string()),
    ready: z.literal(false).optional().openapi({ description: "Present (false) while the node says its own address does not accept connections." }),
    reachability: z
      .enum(REACH_STATES)
      .exclude(["unknown"])
      .optional()
      .openapi({ description: "What other nodes' probes say; absent means unknown. Handouts list ready reachable peers first, then unknown, then unreachable, not-ready last." }),
  })
  .openapi("Peer");

export const PeersResponse = z
  .object({
    version: z.number().int(),
    degraded: z.literal(true).optional().openapi({ description: "Self-preservation is on: leases that ran out are being kept." }),
    snapshot: z.literal(true).optional().openapi({ description: "Set when `since` asked for a delta that is no longer kept: this is the full handout." }),
    peers: z.array(Peer),
  })
  .openapi("PeersResponse");

export const PeersDelta = z
  .object({
    version: z.number().int(),
    degraded: z.literal(true).optional(),
    upserts: z.array(Peer).openapi({ description: "Peers new to the handout, or changed, since `since`." }),
    removes: z.array(NodeId).openapi({ description: "Ids gone from the handout since `since`." }),
  })
  .openapi("PeersDelta");

/** A whole number in a query string, checked as text (so "1e3" or " 7" are refused) and given to routes as a number. */
export const QueryNumber = (pattern: RegExp, message: string) => z.string().regex(pattern, message).transform(Number);

const Limit = QueryNumber(/^[1-9][0-9]{0,4}$/, "limit must be a whole number from 1 to 99999")
  .optional()
  .openapi({ description: "Hand out at most this many peers, a stable rendezvous-hashed subset (same-zone peers first).", example: "3" });

const Since = QueryNumber(/^(0|[1-9][0-9]{0,15})$/, "since must be a version: a whole number from 0")
  .optional()
  .openapi({
    description: "Answer with only what changed since this version: `{version, upserts, removes}`, or the full handout with `snapshot: true` when that is no longer kept.",
  });

export const MAX_WAIT_SECONDS = 60;

/** A long-poll's `wait` query parameter: whole seconds, 0 to MAX_WAIT_SECONDS. */
export const WaitSeconds = (description: string) =>
  QueryNumber(/^[0-9]{1,2}$/, `wait must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}`)
    .refine((v) => v <= MAX_WAIT_SECONDS, `wait must be at most ${MAX_WAIT_SECONDS} seconds`)
    .optional()
    .openapi({ description });

export const PeersQuery = z.object({
  limit: Limit,
  since: Since,
  wait: WaitSeconds("Long-poll: with a current If-None-Match, hold the request until the version changes (200) or this many seconds pass (304)."),
});

export const WatchQuery = z.object({ limit: Limit, since: Since });

export const CreateClusterRequest = z.strictObject({ name: ClusterName }).openapi("CreateClusterRequest");

export const CreateClusterResponse = z
  .object({
    name: ClusterName,
    joinToken: z.string().openapi({ description: "Returned only here; stored only as a hash." }),
    joinTokenId: z.string().openapi({ description: "The join token's id, for listing and revoking it." }),
    createdAt: z.iso.datetime(),
  })
  .openapi("CreateClusterResponse");

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
    reason: z.string().optional().openapi({ description: "With `urn:peerdir:problem:blocked`: the operator's reason for the block." }),
  })
  .openapi("Problem", { description: "RFC 9457 problem details. Branch on `type` (see the API docs' list of problem types), never on `detail`." });

export const ClusterParams = z.object({ cluster: ClusterName });
export const NodeParams = z.object({ cluster: ClusterName, node: NodeId });

export type RegisterRequest = z.infer<typeof RegisterRequest>;
export type Reports = z.infer<typeof Reports>;
export type ConsumerReport = z.infer<typeof ConsumerReport>;

export type RegisterResponse = z.infer<typeof RegisterResponse>;
export type Peer = z.infer<typeof Peer>;
export type PeersResponse = z.infer<typeof PeersResponse>;
export type CreateClusterResponse = z.infer<typeof CreateClusterResponse>;
export type Problem = z.infer<typeof Problem>;
