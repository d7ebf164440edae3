/**
 * The cluster export document: everything a directory keeps about one cluster, so it can move
 * to another directory (self-hosted to Cloudflare or back) with `GET …/export` and `POST …/import`.
 * Secrets never appear: join tokens and node credentials are there as SHA-256 hashes only, and
 * they verify at the new directory when it has the same TOKEN_KEY, so no agent registers again.
 *
 * `version` is this document's format; a directory reads the versions it names here and refuses
 * the rest. Times are Unix milliseconds, as stored.
 */
import { z } from "@hono/zod-openapi";
import { AddressPolicy, ProbeRanges, Probing } from "./admin.js";
import { MAX_ADDRS } from "./names.js";
import { ClusterName, Labels, Multiaddr, NodeId } from "./schemas.js";

export const EXPORT_FORMAT = "peerdir.cluster-export";
export const EXPORT_VERSION = 1;
/** The newest audit entries an export carries (the log itself keeps up to 10,000). */
export const EXPORT_AUDIT_TAIL = 1000;

const Ms = z.number().int().nonnegative();
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "a hex SHA-256");

export const ExportedSettings = z.strictObject({
  createdAt: Ms,
  version: z.number().int().nonnegative(),
  minTtlSeconds: z.number().int().positive(),
  defaultTtlSeconds: z.number().int().positive(),
  maxTtlSeconds: z.number().int().positive(),
  maxNodes: z.number().int().positive(),
  minIntervalSeconds: z.number().nonnegative(),
  defaultLimit: z.number().int().positive().nullable(),
  addressPolicy: AddressPolicy,
  probing: Probing,
  probeRanges: ProbeRanges,
  degraded: z.boolean(),
});

export const ExportedNode = z.strictObject({
  id: NodeId,
  credentialHash: Sha256,
  addrs: z.array(Multiaddr).min(1).max(MAX_ADDRS),
  labels: Labels,
  ttlSeconds: z.number().int().positive(),
  registeredAt: Ms,
  lastRenewedAt: Ms,
  expiresAt: Ms,
  endedAt: Ms.nullable(),
  observedIp: z.string().max(64).nullable(),
  /** The stored expiry may be behind the lease's real one (see migrations/0007). */
  behind: z.boolean(),
});

export const ExportedJoinToken = z.strictObject({ id: z.string().max(64), tokenHash: Sha256, createdAt: Ms, expiresAt: Ms.nullable() });

export const ExportedOverride = z.strictObject({
  node: NodeId,
  action: z.enum(["pin", "block", "drain"]),
  addrs: z.array(Multiaddr).min(1).max(MAX_ADDRS).nullable(),
  labels: Labels.nullable(),
  reason: z.string().max(1024),
  createdAt: Ms,
  expiresAt: Ms.nullable(),
});

export const ExportedAuditEntry = z.strictObject({
  seq: z.number().int().positive(),
  at: Ms,
  actorKind: z.string().max(32),
  actorId: z.string().max(256),
  action: z.string().max(64),
  node: z.string().max(128).nullable(),
  reason: z.string().max(1024).nullable(),
  /** The entry's before and after states, as JSON text, exactly as stored. */
  before: z.string().max(16_384).nullable(),
  after: z.string().max(16_384).nullable(),
});

export const ClusterExport = z
  .strictObject({
    format: z.literal(EXPORT_FORMAT, { error: `not a peerdir cluster export (format must be "${EXPORT_FORMAT}")` }),
    version: z.literal(EXPORT_VERSION, { error: `unsupported export version: this directory reads version ${EXPORT_VERSION}` }),
    cluster: ClusterName,
    exportedAt: z.iso.datetime(),
    settings: ExportedSettings,
    nodes: z.array(ExportedNode),
    joinTokens: z.array(ExportedJoinToken),
    overrides: z.array(ExportedOverride),
    audit: z.array(ExportedAuditEntry).max(EXPORT_AUDIT_TAIL),
  })
  .superRefine((doc, ctx) => {
    // Keys the tables hold once each: a repeat would be refused by SQLite half-way otherwise.
    for (const [list, key] of [
      ["nodes", "id"],
      ["joinTokens", "id"],
      ["joinTokens", "tokenHash"],
      ["overrides", "node"],
      ["audit", "seq"],
    ] as const) {
      const seen = new Set<unknown>();
      for (const [i, item] of (doc[list] as Record<string, unknown>[]).entries()) {
        if (seen.has(item[key])) ctx.addIssue({ code: "custom", message: `${list}[${i}].${key} repeats an earlier entry's`, path: [list, i, key] });
        seen.add(item[key]);
      }
    }
  })
  .openapi("ClusterExport", {
    description:
      "One cluster's state: its settings, nodes with their leases and credential hashes, join-token hashes, overrides and the newest audit entries. Node credentials keep working after an import into a directory with the same TOKEN_KEY.",
  });

export const ImportResult = z
  .object({ cluster: ClusterName, nodes: z.number().int(), joinTokens: z.number().int(), overrides: z.number().int(), audit: z.number().int() })
  .openapi("ImportResult");

export type ClusterExport = z.infer<typeof ClusterExport>;
export type ImportResult = z.infer<typeof ImportResult>;
