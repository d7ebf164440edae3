/**
 * The `peerdir` command grammar: every command's words, arguments, options and help text in one
 * table. The parser (args.ts) and the help (help.ts) both read it, so what `--help` documents is
 * exactly what is accepted.
 */
import { CLUSTER_DEFAULTS, DEFAULT_HANDOUT_LIMIT } from "../contract/lease-policy.js";
import { CLUSTER_NAME_RULE } from "../contract/names.js";
import { actionsInWords, carriesPeer, OVERRIDE_ACTIONS, OVERRIDES, type OverrideAction } from "../contract/overrides.js";

export interface OptionSpec {
  /** Long flag without the dashes. */
  flag: string;
  /** Placeholder for the value; absent for a boolean flag. */
  arg?: string;
  repeatable?: boolean;
  required?: boolean;
  help: string;
}

export type CommandId =
  | "cluster create"
  | "cluster list"
  | "cluster show"
  | "cluster set"
  | "cluster delete"
  | "cluster expire"
  | "cluster export"
  | "cluster import"
  | "join-token create"
  | "join-token list"
  | "join-token revoke"
  | "token create"
  | "token list"
  | "token revoke"
  | "node list"
  | "override list"
  | "credential revoke"
  | OverrideAction
  | "unset"
  | "evict"
  | "handout"
  | "audit"
  | "serve";

export interface CommandSpec {
  id: CommandId;
  /** Positional placeholders, in order; all required. */
  args: readonly string[];
  options: readonly OptionSpec[];
  summary: string;
  /** Longer explanation for `peerdir <command> --help`. */
  details?: string;
  examples: readonly string[];
}

export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { flag: "url", arg: "URL", help: "The directory's base URL. Default: $PEERDIR_URL." },
  { flag: "token-file", arg: "FILE", help: "Read the admin token from FILE (surrounding whitespace is ignored). Default: $PEERDIR_ADMIN_TOKEN." },
  { flag: "json", help: "Print the directory's JSON answer instead of a table (nothing for a 204)." },
  { flag: "help", help: "Show help (also: -h; after a command, that command's help)." },
  { flag: "version", help: "Print the CLI's version." },
];

const reason: OptionSpec = { flag: "reason", arg: "TEXT", required: true, help: "Why; kept in the audit log (required)." };
const expiresAt: OptionSpec = {
  flag: "expires-at",
  arg: "ISO",
  help: "Lift it automatically at this time, ISO 8601 with a zone, e.g. 2030-01-01T00:00:00Z. Default: never.",
};

const peerOptions: OptionSpec[] = [
  { flag: "addr", arg: "MULTIADDR", repeatable: true, required: true, help: "An address to hand out for NODE. Repeatable (1 to 16); required." },
  { flag: "label", arg: "KEY=VALUE", repeatable: true, help: "A label to hand out with it. Repeatable." },
];

/** One command per override action, from the action's facts: `peerdir <action> CLUSTER NODE`. */
function overrideCommand(action: OverrideAction): CommandSpec {
  const facts = OVERRIDES[action];
  const peer = carriesPeer(action);
  const [node, extra] = peer ? ["seed-1", " --addr /ip4/127.0.0.9/tcp/5001 --label role=seed"] : ["node-b", ""];
  return {
    id: action,
    args: ["CLUSTER", "NODE"],
    options: [...(peer ? peerOptions : []), reason, expiresAt],
    summary: `${facts.verb} a node: ${facts.effect}`,
    details: "Replaces any earlier override of NODE.",
    examples: [`peerdir ${action} demo ${node}${extra} --reason "${facts.typicalReason}"`],
  };
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    id: "cluster create",
    args: ["NAME"],
    options: [],
    summary: "Create a cluster and print its first join token (shown only once).",
    details: `NAME: ${CLUSTER_NAME_RULE}.`,
    examples: ["peerdir cluster create demo"],
  },
  { id: "cluster list", args: [], options: [], summary: "List clusters with their node counts and versions.", examples: ["peerdir cluster list"] },
  { id: "cluster show", args: ["NAME"], options: [], summary: "Show a cluster and its settings.", examples: ["peerdir cluster show demo"] },
  {
    id: "cluster set",
    args: ["NAME"],
    options: [
      { flag: "min-ttl", arg: "S", help: `Shortest lease a node may ask for, in seconds (default ${CLUSTER_DEFAULTS.minTtlSeconds}).` },
      { flag: "default-ttl", arg: "S", help: `Lease length when a node asks for none (default ${CLUSTER_DEFAULTS.defaultTtlSeconds}).` },
      { flag: "max-ttl", arg: "S", help: `Longest lease (default ${CLUSTER_DEFAULTS.maxTtlSeconds}). The result must keep min <= default <= max.` },
      { flag: "max-nodes", arg: "N", help: `Most live leases; a registration beyond it gets 409 (default ${CLUSTER_DEFAULTS.maxNodes}).` },
      {
        flag: "min-interval",
        arg: "S",
        help: `Each node may make one request per S seconds, sustained; fractions allowed, 0 turns the per-node limit off (default ${CLUSTER_DEFAULTS.minIntervalSeconds}).`,
      },
      {
        flag: "default-limit",
        arg: "K|none",
        help: `Handout size when a node asks for no limit; none hands out every peer (default ${DEFAULT_HANDOUT_LIMIT}: every peer up to ${DEFAULT_HANDOUT_LIMIT + 1} nodes).`,
      },
      {
        flag: "address-policy",
        arg: "any|observed-ip",
        help: `observed-ip: a node may advertise only /ip4 or /ip6 addresses equal to the client IP the directory sees; others get 403 (default ${CLUSTER_DEFAULTS.addressPolicy}).`,
      },
      { flag: "probing", arg: "on|off", help: "off: the cluster's agents probe no peer (reachability stays unknown); they learn it from their next renewal (default on)." },
      {
        flag: "probe-ranges",
        arg: "CIDR,...|any",
        help: "The agents probe only peers whose first TCP address lies in one of these ranges, e.g. 10.0.0.0/8,fd00::/8; any lifts the restriction (default any).",
      },
    ],
    summary: "Change a cluster's settings; prints the cluster as `cluster show` does.",
    details: "Give at least one setting; the others keep their values.",
    examples: [
      "peerdir cluster set demo --default-ttl 120 --max-ttl 7200",
      "peerdir cluster set demo --default-limit 8",
      "peerdir cluster set demo --default-limit none",
      "peerdir cluster set demo --probe-ranges 10.0.0.0/8",
    ],
  },
  {
    id: "cluster delete",
    args: ["NAME"],
    options: [{ flag: "yes", help: "Confirm: the cluster's leases, tokens, overrides and audit log are all deleted (required)." }],
    summary: "Delete a cluster and all of its state.",
    details: "Its nodes' credentials and the join tokens stop working at once. This cannot be undone.",
    examples: ["peerdir cluster delete demo --yes"],
  },
  {
    id: "cluster expire",
    args: ["NAME"],
    options: [],
    summary: "End every lease past its expiry now, overriding self-preservation (a DEGRADED cluster keeps them).",
    details: "Use it when the nodes really are gone, not the network. Prints how many leases ended.",
    examples: ["peerdir cluster expire demo"],
  },
  {
    id: "cluster export",
    args: ["NAME"],
    options: [{ flag: "output", arg: "FILE", help: "Write the document to FILE (mode 0600) instead of stdout." }],
    summary: "Export a cluster: settings, nodes with leases, credential and join-token hashes, overrides, the audit tail.",
    details:
      "The document is versioned JSON for `cluster import` on another directory. It holds hashes, never secrets, but keep it private. Needs a write token covering the cluster.",
    examples: ["peerdir cluster export demo --output demo.json"],
  },
  {
    id: "cluster import",
    args: ["NAME"],
    options: [{ flag: "input", arg: "FILE", required: true, help: "The `cluster export` document; - reads stdin (required)." }],
    summary: "Import an exported cluster into a directory where it does not exist yet (or has no nodes).",
    details:
      "With the same TOKEN_KEY on both directories, every node credential and join token keeps working: point the agents' --directory at the new URL and restart them; none registers again.",
    examples: ["peerdir --url https://new.example.com cluster import demo --input demo.json"],
  },
  {
    id: "join-token create",
    args: ["CLUSTER"],
    options: [{ flag: "expires-at", arg: "ISO", help: "The token stops working at this time, ISO 8601 with a zone. Default: never." }],
    summary: "Create another join token for a cluster and print it (shown only once).",
    examples: ["peerdir join-token create demo", "peerdir join-token create demo --expires-at 2030-01-01T00:00:00Z"],
  },
  {
    id: "join-token list",
    args: ["CLUSTER"],
    options: [],
    summary: "List a cluster's join tokens (ids and times; never the secrets).",
    examples: ["peerdir join-token list demo"],
  },
  {
    id: "join-token revoke",
    args: ["CLUSTER", "ID"],
    options: [],
    summary: "Revoke a join token; it stops working at once. Nodes it registered keep their credentials.",
    details: "Ids issued before 2026-11-26 may start with '-': put such an id after '--' (peerdir join-token revoke demo -- -AbC).",
    examples: ["peerdir join-token revoke demo <ID from join-token list>"],
  },
  {
    id: "token create",
    args: ["TOKEN_NAME"],
    options: [
      { flag: "role", arg: "read|write", required: true, help: "read: the read commands only; write: every command in the token's scope (required)." },
      {
        flag: "cluster",
        arg: "NAME|*",
        repeatable: true,
        required: true,
        help: "A cluster the token may see and touch. Repeatable (1 to 16); '*' for every cluster, including later ones (required).",
      },
      { flag: "expires-at", arg: "ISO", help: "The token stops working at this time, ISO 8601 with a zone. Default: never." },
    ],
    summary: "Mint a named admin token and print it (shown only once). Needs the ADMIN_TOKEN or a write token scoped '*'.",
    details:
      "TOKEN_NAME is 1-63 characters of a-z, 0-9 and '-' (root and read are taken by the deployment's secrets); it is the actor the audit log shows for everything the token does. Join tokens for nodes are `peerdir join-token create`.",
    examples: [
      "peerdir token create ci-deploy --role write --cluster prod --cluster staging",
      "peerdir token create dashboards --role read --cluster '*' --expires-at 2030-01-01T00:00:00Z",
    ],
  },
  {
    id: "token list",
    args: [],
    options: [],
    summary: "List named admin tokens: ids, names, roles, scopes and times; never the tokens. Needs a token scoped '*'.",
    examples: ["peerdir token list"],
  },
  {
    id: "token revoke",
    args: ["ID"],
    options: [],
    summary: "Revoke a named admin token: refused everywhere within a minute. Needs the ADMIN_TOKEN or a write token scoped '*'.",
    examples: ["peerdir token revoke <ID from token list>"],
  },
  {
    id: "node list",
    args: ["CLUSTER"],
    options: [],
    summary: "List a cluster's nodes: leases and pins, their state, addresses, labels and lease times.",
    details: "EXPIRES, RENEWED and REGISTERED are relative to now; --json has the exact times.",
    examples: ["peerdir node list demo"],
  },
  {
    id: "override list",
    args: ["CLUSTER"],
    options: [],
    summary: "List a cluster's overrides with their reasons.",
    examples: ["peerdir override list demo"],
  },
  {
    id: "credential revoke",
    args: ["CLUSTER", "NODE"],
    options: [],
    summary: "Revoke a node's credential; its lease ends and it must register again with a join token.",
    examples: ["peerdir credential revoke demo node-a"],
  },
  ...OVERRIDE_ACTIONS.map(overrideCommand),
  { id: "unset", args: ["CLUSTER", "NODE"], options: [], summary: `Lift a node's override (${actionsInWords("or")}).`, examples: ["peerdir unset demo node-b"] },
  {
    id: "evict",
    args: ["CLUSTER", "NODE"],
    options: [reason],
    summary: "End a node's lease now and retire its credential; it may register again with a join token unless blocked.",
    examples: [`peerdir evict demo node-a --reason "stale after migration"`],
  },
  {
    id: "handout",
    args: ["CLUSTER", "NODE"],
    options: [{ flag: "limit", arg: "K", help: "Preview a request with ?limit=K. Default: the cluster's defaultLimit." }],
    summary: "Show exactly the peers NODE would receive now.",
    examples: ["peerdir handout demo node-a", "peerdir handout demo node-a --limit 2"],
  },
  {
    id: "audit",
    args: ["CLUSTER"],
    options: [
      { flag: "limit", arg: "N", help: "Entries per page, 1 to 9999 (default 100)." },
      { flag: "cursor", arg: "C", help: "Start at this cursor, the `next` of an earlier page." },
      { flag: "all", help: "Follow `next` to the oldest entry and print everything." },
      { flag: "actor", arg: "NAME", help: "Only entries by this actor: an admin token's name (root for the ADMIN_TOKEN), a node id, or alarm." },
    ],
    summary: "Show a cluster's audit log, newest first.",
    details: "Without --all, a note on stderr gives the command for the next, older page.",
    examples: ["peerdir audit demo", "peerdir audit demo --limit 5", "peerdir audit demo --actor ci-deploy", "peerdir audit demo --all --json"],
  },
  {
    id: "serve",
    args: [],
    options: [
      { flag: "listen", arg: "HOST:PORT", required: true, help: "Address to serve on (port 0: any free port; the ready line says which)." },
      { flag: "data", arg: "DIR", required: true, help: "Where the clusters are stored (created if missing)." },
      { flag: "tls-cert", arg: "FILE", help: "PEM certificate chain: serve HTTPS and WSS (with --tls-key)." },
      { flag: "tls-key", arg: "FILE", help: "PEM private key." },
      { flag: "secrets-file", arg: "FILE", help: "KEY=value lines (ADMIN_TOKEN, TOKEN_KEY, ADMIN_READ_TOKEN, TOKEN_KEY_PREVIOUS); else the environment." },
    ],
    summary: "Run a directory on this host, self-hosted, on the workerd that npm installed (as the release tarball does).",
    details:
      'The same launcher as the release tarball\'s bin/peerdir-directory (docs/deploy.md, "Self-hosted"): TOKEN_KEY (>= 32 characters) and ADMIN_TOKEN come from the environment or --secrets-file. Logs one ready line with the URL; stops on SIGTERM or Ctrl-C. --url and --token-file do not apply.',
    examples: ["TOKEN_KEY=... ADMIN_TOKEN=... peerdir serve --listen 127.0.0.1:8787 --data ./peerdir-data"],
  },
];

/** Command groups in help order, e.g. "cluster" → its commands. Single-word commands are their own group. */
export function groups(): Map<string, CommandSpec[]> {
  const out = new Map<string, CommandSpec[]>();
  for (const c of COMMANDS) {
    const head = c.id.split(" ")[0];
    out.set(head, [...(out.get(head) ?? []), c]);
  }
  return out;
}

export function usageLine(c: CommandSpec): string {
  const parts = [`peerdir ${c.id}`, ...c.args];
  for (const o of c.options) {
    const text = o.arg ? `--${o.flag} ${o.arg}` : `--${o.flag}`;
    parts.push(o.required ? text + (o.repeatable ? "..." : "") : `[${text}${o.repeatable ? "..." : ""}]`);
  }
  return parts.join(" ");
}
