/**
 * The `peerdir` command grammar: every command's words, arguments, options and help text in one
 * table. The parser (args.ts) and the help (help.ts) both read it, so what `--help` documents is
 * exactly what is accepted.
 */

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
  | "token create"
  | "token list"
  | "token revoke"
  | "node list"
  | "override list"
  | "credential revoke"
  | "pin"
  | "block"
  | "drain"
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

export const COMMANDS: readonly CommandSpec[] = [
  {
    id: "cluster create",
    args: ["NAME"],
    options: [],
    summary: "Create a cluster and print its first join token (shown only once).",
    details: "NAME is 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit.",
    examples: ["peerdir cluster create demo"],
  },
  { id: "cluster list", args: [], options: [], summary: "List clusters with their node counts and versions.", examples: ["peerdir cluster list"] },
  { id: "cluster show", args: ["NAME"], options: [], summary: "Show a cluster and its settings.", examples: ["peerdir cluster show demo"] },
  {
    id: "cluster set",
    args: ["NAME"],
    options: [
      { flag: "min-ttl", arg: "S", help: "Shortest lease a node may ask for, in seconds (default 10)." },
      { flag: "default-ttl", arg: "S", help: "Lease length when a node asks for none (default 60)." },
      { flag: "max-ttl", arg: "S", help: "Longest lease (default 3600). The result must keep min <= default <= max." },
      { flag: "max-nodes", arg: "N", help: "Most live leases; a registration beyond it gets 409 (default 10000)." },
      { flag: "min-interval", arg: "S", help: "Each node may make one request per S seconds, sustained; fractions allowed, 0 turns the per-node limit off (default 1)." },
      { flag: "default-limit", arg: "K|none", help: "Handout size when a node asks for no limit; none hands out every peer (default none)." },
      {
        flag: "address-policy",
        arg: "any|observed-ip",
        help: "observed-ip: a node may advertise only /ip4 or /ip6 addresses equal to the client IP the directory sees; others get 403 (default any).",
      },
    ],
    summary: "Change a cluster's settings; prints the cluster as `cluster show` does.",
    details: "Give at least one setting; the others keep their values.",
    examples: ["peerdir cluster set demo --default-ttl 120 --max-ttl 7200", "peerdir cluster set demo --default-limit 8", "peerdir cluster set demo --default-limit none"],
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
    details: "The document is versioned JSON for `cluster import` on another directory. It holds hashes, never secrets, but keep it private. Needs the ADMIN_TOKEN.",
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
    id: "token create",
    args: ["CLUSTER"],
    options: [{ flag: "expires-at", arg: "ISO", help: "The token stops working at this time, ISO 8601 with a zone. Default: never." }],
    summary: "Create another join token for a cluster and print it (shown only once).",
    examples: ["peerdir token create demo", "peerdir token create demo --expires-at 2030-01-01T00:00:00Z"],
  },
  { id: "token list", args: ["CLUSTER"], options: [], summary: "List a cluster's join tokens (ids and times; never the secrets).", examples: ["peerdir token list demo"] },
  {
    id: "token revoke",
    args: ["CLUSTER", "ID"],
    options: [],
    summary: "Revoke a join token; it stops working at once. Nodes it registered keep their credentials.",
    details: "Ids issued before 2026-11-26 may start with '-': put such an id after '--' (peerdir token revoke demo -- -AbC).",
    examples: ["peerdir token revoke demo <ID from token list>"],
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
    summary: "List a cluster's overrides (pins, blocks, drains) with their reasons.",
    examples: ["peerdir override list demo"],
  },
  {
    id: "credential revoke",
    args: ["CLUSTER", "NODE"],
    options: [],
    summary: "Revoke a node's credential; its lease ends and it must register again with a join token.",
    examples: ["peerdir credential revoke demo node-a"],
  },
  {
    id: "pin",
    args: ["CLUSTER", "NODE"],
    options: [
      { flag: "addr", arg: "MULTIADDR", repeatable: true, required: true, help: "An address to hand out for NODE. Repeatable (1 to 16); required." },
      { flag: "label", arg: "KEY=VALUE", repeatable: true, help: "A label to hand out with it. Repeatable." },
      reason,
      expiresAt,
    ],
    summary: "Pin a static peer: handed out like a live node, with no lease.",
    details: "If NODE also holds a lease, the pinned addresses and labels are what others receive. Replaces any earlier override of NODE.",
    examples: [`peerdir pin demo seed-1 --addr /ip4/10.0.0.9/tcp/5001 --label role=seed --reason "static seed"`],
  },
  {
    id: "block",
    args: ["CLUSTER", "NODE"],
    options: [reason, expiresAt],
    summary: "Block a node: never handed out; its register, renew and peers requests get 403 with the reason. A live lease ends at once.",
    details: "Replaces any earlier override of NODE.",
    examples: [`peerdir block demo node-b --reason "compromised host"`],
  },
  {
    id: "drain",
    args: ["CLUSTER", "NODE"],
    options: [reason, expiresAt],
    summary: "Drain a node: it keeps its lease and still receives peers, but is not handed out to others.",
    details: "Replaces any earlier override of NODE.",
    examples: [`peerdir drain demo node-a --reason "kernel upgrade" --expires-at 2030-01-01T00:00:00Z`],
  },
  { id: "unset", args: ["CLUSTER", "NODE"], options: [], summary: "Lift a node's override (pin, block or drain).", examples: ["peerdir unset demo node-b"] },
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
    ],
    summary: "Show a cluster's audit log, newest first.",
    details: "Without --all, a note on stderr gives the command for the next, older page.",
    examples: ["peerdir audit demo", "peerdir audit demo --limit 5", "peerdir audit demo --all --json"],
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
