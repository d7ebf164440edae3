/**
 * One function per `peerdir` command: turn the parsed arguments into one admin API call (two or
 * more only for `audit --all`) and print either the human view or, with --json, the answer as the
 * directory sent it. Mutations without a body (204) print a confirmation line, or nothing with --json.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { AuditEntry, ClusterSettingsPatch, OverrideRequest } from "../contract/admin.js";
import { carriesPeer, OVERRIDE_ACTIONS, type OverrideAction } from "../contract/overrides.js";
import { addressPolicy, probing, rangesOrAny, decimalNumber, isoTimeWithZone, labelPairs, limitOrNone, type OptionValues, UsageError, wholeNumber } from "./args.js";
import type { AdminClient } from "./client.js";
import { serve } from "./serve.js";
import type { CommandId } from "./spec.js";
import * as view from "./views.js";

export interface Context {
  /** Connects on first use, so argument mistakes are reported before a missing URL or token. */
  readonly client: AdminClient;
  json: boolean;
  /** Writes a line to stdout. */
  out: (text: string) => void;
  /** Writes a line to stderr (notes that must not pollute piped output). */
  note: (text: string) => void;
  now: () => number;
}

export interface Invocation {
  args: Record<string, string>;
  options: OptionValues;
}

/** Runs the command; a number is its exit code (serve passes the directory's on). */
type Command = (ctx: Context, inv: Invocation) => Promise<number | undefined>;

const str = (v: OptionValues[string]) => (typeof v === "string" ? v : undefined);
const list = (v: OptionValues[string]) => (Array.isArray(v) ? v : undefined);

function print(ctx: Context, body: unknown, human: () => string): void {
  ctx.out(ctx.json ? JSON.stringify(body, null, 2) : human());
}

function done(ctx: Context, message: string): void {
  if (!ctx.json) ctx.out(message);
}

const SETTINGS: readonly [flag: string, key: keyof ClusterSettingsPatch, parse: (v: string, flag: string) => ClusterSettingsPatch[keyof ClusterSettingsPatch]][] = [
  ["min-ttl", "minTtlSeconds", wholeNumber],
  ["default-ttl", "defaultTtlSeconds", wholeNumber],
  ["max-ttl", "maxTtlSeconds", wholeNumber],
  ["max-nodes", "maxNodes", wholeNumber],
  ["min-interval", "minIntervalSeconds", decimalNumber],
  ["default-limit", "defaultLimit", limitOrNone],
  ["address-policy", "addressPolicy", addressPolicy],
  ["probing", "probing", probing],
  ["probe-ranges", "probeRanges", rangesOrAny],
];

export function settingsPatch(options: OptionValues): ClusterSettingsPatch {
  const patch: Record<string, unknown> = {};
  for (const [flag, key, parse] of SETTINGS) {
    const value = str(options[flag]);
    if (value !== undefined) patch[key] = parse(value, flag);
  }
  if (Object.keys(patch).length === 0) throw new UsageError(`name at least one setting to change: ${SETTINGS.map(([f]) => `--${f}`).join(", ")}`, "cluster set");
  return patch as ClusterSettingsPatch;
}

const clusterCreate: Command = async (ctx, { args }) => {
  const created = await ctx.client.createCluster(args.NAME);
  print(ctx, created, () => view.createdClusterView(created));
};

const clusterList: Command = async (ctx) => {
  const body = await ctx.client.listClusters();
  print(ctx, body, () => view.clustersView(body.clusters));
};

const clusterShow: Command = async (ctx, { args }) => {
  const body = await ctx.client.showCluster(args.NAME);
  print(ctx, body, () => view.clusterView(body));
};

const clusterSet: Command = async (ctx, { args, options }) => {
  const patch = settingsPatch(options);
  const body = await ctx.client.updateCluster(args.NAME, patch);
  print(ctx, body, () => view.clusterView(body));
};

const clusterDelete: Command = async (ctx, { args, options }) => {
  if (options.yes !== true) {
    throw new UsageError(`this deletes cluster ${args.NAME} with all its leases, join tokens, overrides and audit log; run again with --yes to confirm`, "cluster delete");
  }
  await ctx.client.deleteCluster(args.NAME);
  done(ctx, `Deleted cluster ${args.NAME}.`);
};

const clusterExport: Command = async (ctx, { args, options }) => {
  const text = `${JSON.stringify(await ctx.client.exportCluster(args.NAME), null, 2)}\n`;
  const output = str(options.output);
  if (output === undefined) {
    process.stdout.write(text);
    return;
  }
  writeFileSync(output, text, { mode: 0o600 });
  ctx.note(`Exported cluster ${args.NAME} to ${output}.`);
};

const clusterImport: Command = async (ctx, { args, options }) => {
  const input = str(options.input) as string;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(input === "-" ? 0 : input, "utf8"));
  } catch (err) {
    throw new UsageError(`cannot read the export ${input}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, "cluster import");
  }
  const result = await ctx.client.importCluster(args.NAME, doc);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  print(
    ctx,
    result,
    () => `Imported cluster ${result.cluster}: ${plural(result.nodes, "node")}, ${plural(result.joinTokens, "join token")}, ${plural(result.overrides, "override")}.`,
  );
};

const clusterExpire: Command = async (ctx, { args }) => {
  const body = await ctx.client.forceExpire(args.NAME);
  print(ctx, body, () => `Expired ${body.expired} lease${body.expired === 1 ? "" : "s"} past their expiry in cluster ${args.NAME}.`);
};

const withExpiry = (options: OptionValues): { expiresAt?: string } => {
  const expiresAt = str(options["expires-at"]);
  return expiresAt === undefined ? {} : { expiresAt: isoTimeWithZone(expiresAt, "expires-at") };
};

const joinTokenCreate: Command = async (ctx, { args, options }) => {
  const { expiresAt } = withExpiry(options);
  const body = await ctx.client.createJoinToken(args.CLUSTER, expiresAt);
  print(ctx, body, () => view.createdTokenView(args.CLUSTER, body));
};

const joinTokenList: Command = async (ctx, { args }) => {
  const body = await ctx.client.listJoinTokens(args.CLUSTER);
  print(ctx, body, () => view.tokensView(body.joinTokens));
};

const joinTokenRevoke: Command = async (ctx, { args }) => {
  await ctx.client.revokeJoinToken(args.CLUSTER, args.ID);
  done(ctx, `Revoked join token ${args.ID} of cluster ${args.CLUSTER}.`);
};

const tokenCreate: Command = async (ctx, { args, options }) => {
  const role = str(options.role);
  if (role !== "read" && role !== "write") throw new UsageError(`--role must be read or write, not "${role}"`, "token create");
  const request = { name: args.TOKEN_NAME, role, clusters: list(options.cluster) ?? [], ...withExpiry(options) } as const;
  const body = await ctx.client.createAdminToken(request);
  print(ctx, body, () => view.createdAdminTokenView(body));
};

const tokenList: Command = async (ctx) => {
  const body = await ctx.client.listAdminTokens();
  print(ctx, body, () => view.adminTokensView(body.tokens));
};

const tokenRevoke: Command = async (ctx, { args }) => {
  await ctx.client.revokeAdminToken(args.ID);
  done(ctx, `Revoked admin token ${args.ID}; it is refused everywhere within a minute.`);
};

const nodeList: Command = async (ctx, { args }) => {
  const body = await ctx.client.listNodes(args.CLUSTER);
  print(ctx, body, () => view.nodesView(body.nodes, ctx.now()));
};

const overrideList: Command = async (ctx, { args }) => {
  const body = await ctx.client.listOverrides(args.CLUSTER);
  print(ctx, body, () => view.overridesView(body.overrides));
};

const credentialRevoke: Command = async (ctx, { args }) => {
  await ctx.client.revokeCredential(args.CLUSTER, args.NODE);
  done(ctx, `Revoked the credential of ${args.NODE} in cluster ${args.CLUSTER}; it must register again with a join token.`);
};

const setOverride =
  (action: OverrideAction): Command =>
  async (ctx, { args, options }) => {
    const common = { reason: str(options.reason) ?? "", ...withExpiry(options) };
    const labels = labelPairs(list(options.label));
    const request: OverrideRequest = carriesPeer(action) ? { action, addrs: list(options.addr) ?? [], ...(labels ? { labels } : {}), ...common } : { action, ...common };
    const body = await ctx.client.setOverride(args.CLUSTER, args.NODE, request);
    print(ctx, body, () => view.overrideView(args.CLUSTER, body));
  };

const overrideCommands = Object.fromEntries(OVERRIDE_ACTIONS.map((action) => [action, setOverride(action)])) as Record<OverrideAction, Command>;

const unset: Command = async (ctx, { args }) => {
  await ctx.client.liftOverride(args.CLUSTER, args.NODE);
  done(ctx, `Lifted the override of ${args.NODE} in cluster ${args.CLUSTER}.`);
};

const evict: Command = async (ctx, { args, options }) => {
  await ctx.client.evict(args.CLUSTER, args.NODE, str(options.reason) ?? "");
  done(ctx, `Evicted ${args.NODE} from cluster ${args.CLUSTER}; its lease has ended.`);
};

const handout: Command = async (ctx, { args, options }) => {
  const raw = str(options.limit);
  const limit = raw === undefined ? undefined : wholeNumber(raw, "limit");
  const body = await ctx.client.handout(args.CLUSTER, args.NODE, limit);
  print(ctx, body, () => view.handoutView(args.NODE, body));
};

const audit: Command = async (ctx, { args, options }) => {
  const rawLimit = str(options.limit);
  const limit = rawLimit === undefined ? undefined : wholeNumber(rawLimit, "limit");
  let cursor = str(options.cursor);
  const actor = str(options.actor);
  if (options.all !== true) {
    const page = await ctx.client.audit(args.CLUSTER, { limit, cursor, actor });
    print(ctx, page, () => view.auditView(page.entries));
    if (page.next !== null && !ctx.json) {
      ctx.note(`More entries: peerdir audit ${args.CLUSTER}${rawLimit ? ` --limit ${rawLimit}` : ""}${actor ? ` --actor ${actor}` : ""} --cursor ${page.next}`);
    }
    return;
  }
  const entries: AuditEntry[] = [];
  const seen = new Set<string>();
  for (;;) {
    const page = await ctx.client.audit(args.CLUSTER, { limit, cursor, actor });
    entries.push(...page.entries);
    // A cursor that comes back again would loop forever; the log is bounded, so this only guards against a broken server.
    if (page.next === null || seen.has(page.next)) break;
    seen.add(page.next);
    cursor = page.next;
  }
  print(ctx, { entries, next: null }, () => view.auditView(entries));
};

export const RUN: Record<CommandId, Command> = {
  "cluster create": clusterCreate,
  "cluster list": clusterList,
  "cluster show": clusterShow,
  "cluster set": clusterSet,
  "cluster delete": clusterDelete,
  "cluster expire": clusterExpire,
  "cluster export": clusterExport,
  "cluster import": clusterImport,
  "join-token create": joinTokenCreate,
  "join-token list": joinTokenList,
  "join-token revoke": joinTokenRevoke,
  "token create": tokenCreate,
  "token list": tokenList,
  "token revoke": tokenRevoke,
  "node list": nodeList,
  "override list": overrideList,
  "credential revoke": credentialRevoke,
  ...overrideCommands,
  unset,
  evict,
  handout,
  audit,
  serve: (_ctx, { options }) => serve(options),
};
