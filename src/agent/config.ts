/**
 * The agent's configuration: command-line flags, then `PEERDIR_*` environment variables, then a
 * JSON config file, then defaults (the first that sets an option wins; repeatable options are
 * taken whole from one source, never merged). One table drives parsing, the environment and
 * config-file names, and `--help`, so the help text cannot drift from what is accepted.
 *
 * Where the raw values come from is config-sources.ts; what they must be is here, one step per
 * group of settings. Everything is validated before any network traffic, so a typo fails at start-up with a
 * message naming the option instead of as a 400 from the directory minutes later.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { ConfigError, defaultStateDir, envName, fromEnv, fromFile, fromFlags, num, parseListen, type Raw, str } from "./config-sources.js";
import { cidrProblem, MAX_RANGES } from "../contract/cidr.js";
import { CLUSTER_DEFAULTS, DEFAULT_HANDOUT_LIMIT, TTL_BOUNDS_TEXT } from "../contract/lease-policy.js";
import { CLUSTER_NAME, CLUSTER_NAME_RULE, LABEL_KEY, LABEL_KEY_RULE, MAX_ADDRS, MAX_LABELS, MAX_LABEL_VALUE, NODE_ID, NODE_ID_RULE } from "../contract/names.js";
import { checkAddrShape } from "./outputs/formats.js";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "./log.js";
import { LONG_POLL_WAIT_SECONDS, TRANSPORT_MODES, type TransportMode } from "./feed/transport.js";

export interface AgentConfig {
  directory: string;
  cluster: string;
  node: string;
  joinTokenFile: string | null;
  /** PEM file of CAs trusted for an https directory besides the system's. */
  caFile: string | null;
  addrs: string[];
  labels: Record<string, string>;
  /** Requested lease length; null lets the cluster's default apply. */
  ttl: number | null;
  pollInterval: number;
  /** How to hear about peer changes; see transport.ts. */
  transport: TransportMode;
  listen: { host: string; port: number };
  stateDir: string;
  peersFile: string | null;
  onChange: string | null;
  logFormat: LogFormat;
  logLevel: LogLevel;
  /** Skip the self-check: always register as ready. */
  noSelfCheck: boolean;
  /** Seconds between two probes of the same peer. */
  probeInterval: number;
  /** Probe no peer at all. */
  noProbes: boolean;
  /** Probe only peers whose first TCP address lies in one of these CIDR ranges; empty = any. */
  probeRanges: string[];
  /** The most peers to ask the directory for (its `limit`); null takes the cluster's default. */
  maxPeers: number | null;
  /** Requests a minute from local consumers above which they count as looping; 0: off. */
  consumerLoopThreshold: number;
  configFile: string | null;
}

export type ParsedCommand = { kind: "help" } | { kind: "version" } | { kind: "run"; config: AgentConfig };

export type Key = Exclude<keyof AgentConfig, "configFile">;

export interface OptionSpec {
  flag: string;
  key: Key;
  arg: string;
  repeatable?: boolean;
  /** A switch without a value (`--no-self-check`); in the environment 1/true/yes or 0/false/no. */
  boolean?: boolean;
  help: string;
}

export const DEFAULT_LISTEN = "127.0.0.1:7946";
export const DEFAULT_POLL_INTERVAL = 5;
export const MIN_POLL_INTERVAL = 1;
export const DEFAULT_PROBE_INTERVAL = 60;
export const DEFAULT_CONSUMER_LOOP_THRESHOLD = 60;

export const OPTIONS: readonly OptionSpec[] = [
  { flag: "directory", key: "directory", arg: "URL", help: "Base URL of the peerdir directory (required), e.g. https://peerdir.example.com" },
  { flag: "cluster", key: "cluster", arg: "NAME", help: "Cluster name (required)." },
  { flag: "node", key: "node", arg: "ID", help: "This node's id in the cluster. Default: the host name." },
  {
    flag: "join-token-file",
    key: "joinTokenFile",
    arg: "PATH",
    help: "File holding the cluster's join token (pdj_...). Needed for the first registration; afterwards the node credential in the state dir is used.",
  },
  {
    flag: "ca-file",
    key: "caFile",
    arg: "PATH",
    help: "PEM file of the CA that signed an https directory's certificate (a self-hosted directory's private CA), trusted besides the system's CAs. NODE_EXTRA_CA_CERTS works too.",
  },
  {
    flag: "addr",
    key: "addrs",
    arg: "MULTIADDR",
    repeatable: true,
    help: "An address to advertise, e.g. /ip4/10.0.0.1/tcp/5001/p2p/12D3KooW... Repeatable (1 to 16); in the environment, comma-separated. Required.",
  },
  { flag: "label", key: "labels", arg: "KEY=VALUE", repeatable: true, help: "A label to advertise. Repeatable (up to 16); in the environment, comma-separated." },
  {
    flag: "ttl",
    key: "ttl",
    arg: "SECONDS",
    help: `Requested lease length. The directory clamps it (default bounds ${TTL_BOUNDS_TEXT}). Default: the cluster's default (${CLUSTER_DEFAULTS.defaultTtlSeconds} s).`,
  },
  {
    flag: "poll-interval",
    key: "pollInterval",
    arg: "SECONDS",
    help: `How often to ask the directory for peer changes (>= ${MIN_POLL_INTERVAL}, fractions allowed). Default: ${DEFAULT_POLL_INTERVAL}. The directory allows each node 1 request/s sustained, renewals included; below 2 s the agent may be rate limited (it then waits as told).`,
  },
  {
    flag: "transport",
    key: "transport",
    arg: "auto|watch|long-poll|poll",
    help: `How to hear about peer changes. auto (default): the WebSocket watch (changes pushed at once, the lease held by pings; on every supported Node.js, with the agent's own client), falling back to long-poll (a request the directory holds up to ${LONG_POLL_WAIT_SECONDS} s) when upgrades do not get through, and to polling every --poll-interval when long-polls are not held; the better one is tried again every 5 minutes. watch, long-poll or poll: that one only.`,
  },
  {
    flag: "max-peers",
    key: "maxPeers",
    arg: "N",
    help: `The most peers to be handed (1-99999): the directory picks them by rendezvous hashing, same-zone first, and tells this node only when its own share changes. Default: the cluster's defaultLimit (${DEFAULT_HANDOUT_LIMIT} for new clusters; a cluster of at most ${DEFAULT_HANDOUT_LIMIT + 1} nodes hands out every peer).`,
  },
  { flag: "listen", key: "listen", arg: "HOST:PORT", help: `Address of the local HTTP endpoints. Default: ${DEFAULT_LISTEN}. IPv6 as [::1]:7946.` },
  {
    flag: "state-dir",
    key: "stateDir",
    arg: "DIR",
    help: "Where the node credential (mode 0600) and the last-known-good peers are kept, under <DIR>/<cluster>/<node>/. Default: $STATE_DIRECTORY (systemd), else /var/lib/peerdir-agent as root, else $XDG_STATE_HOME/peerdir-agent or ~/.local/state/peerdir-agent.",
  },
  { flag: "peers-file", key: "peersFile", arg: "PATH", help: "Also write the peer list here (the directory's JSON, atomically) on every change." },
  {
    flag: "on-change",
    key: "onChange",
    arg: "CMD",
    help: "Shell command run after the peer list changes (debounced 1 s, never two at once; exit status logged). It gets PEERDIR_PEERS_FILE, PEERDIR_PEERS_COUNT and PEERDIR_PEERS_VERSION.",
  },
  { flag: "log-format", key: "logFormat", arg: "text|json", help: "Log line format on stderr. Default: text." },
  { flag: "log-level", key: "logLevel", arg: "LEVEL", help: "debug, info, warn or error. Default: info (one line per state change, silent when steady)." },
  {
    flag: "no-self-check",
    key: "noSelfCheck",
    arg: "",
    boolean: true,
    help: "Do not check that this node's own first TCP --addr accepts connections (tried locally every 10 s); always register as ready. Without it, the node registers as not ready while nothing listens there, and the directory hands it out after every ready node.",
  },
  {
    flag: "probe-interval",
    key: "probeInterval",
    arg: "SECONDS",
    help: `How often to probe each peer of the handout (a TCP connect to its first TCP address, 3 s time-out, at most 16 at once), jittered; the results ride on renewals. Default: ${DEFAULT_PROBE_INTERVAL}; at least 1.`,
  },
  { flag: "no-probes", key: "noProbes", arg: "", boolean: true, help: "Probe no peer. The cluster's probing setting can turn probes off too, never on." },
  {
    flag: "probe-ranges",
    key: "probeRanges",
    arg: "CIDR",
    repeatable: true,
    help: "Probe only peers whose first TCP address is an IP in one of these ranges, e.g. 10.0.0.0/8 (a DNS name lies in none). Repeatable; in the environment, comma-separated. Default: any address, within the cluster's probeRanges setting.",
  },
  {
    flag: "consumer-loop-threshold",
    key: "consumerLoopThreshold",
    arg: "PER_MINUTE",
    help: `Requests a minute to the peer endpoints (/id, /bootstrap, /v1-*/p2p, /peers) above which local consumers count as asking in a loop: one warning line, peerdir_agent_consumer_looping 1 and a flag in the directory until the rate stays under it for a full minute. Answers are never slowed or refused. A normal spegel asks at most about 6 times a minute. Default: ${DEFAULT_CONSUMER_LOOP_THRESHOLD}; 0 turns detection off.`,
  },
];

/** How an option is written on the command line: `--flag ARG`, or `--flag` for a switch. */
export function flagUsage(o: OptionSpec): string {
  return o.boolean ? `--${o.flag}` : `--${o.flag} ${o.arg}`;
}

export function helpText(): string {
  const rows = OPTIONS.map((o) => {
    const left = `  ${flagUsage(o)}`;
    const extra = `[env ${envName(o.flag)}; config file "${o.key}"]`;
    return `${left}\n      ${o.help}\n      ${extra}`;
  });
  return [
    "Usage: peerdir-agent --directory URL --cluster NAME --join-token-file PATH --addr MULTIADDR [options]",
    "",
    "Keeps this node's lease in a peerdir directory and serves the cluster's peers locally:",
    "  GET /v1-k3s/p2p, /v1-rke2/p2p   k3s/RKE2 peers (JSON array with Accept: application/json, else text/plain, the first one)",
    '  GET /id                         spegel v0.4-v0.7 HTTP bootstrap: one {"ID","Addrs"}',
    '  GET /bootstrap                  spegel\'s newer HTTP bootstrapper: a JSON array of {"ID","Addrs"}',
    '  GET /peers                      the directory\'s peer list plus "stale" and "syncedAt"',
    "  GET /healthz, /metrics          503 until the first sync; Prometheus metrics",
    "",
    "Options (flags win over environment variables, which win over the config file):",
    "  --config FILE",
    "      JSON config file; keys are the names in quotes below, e.g.",
    '      {"directory":"https://...","cluster":"prod","addrs":["/ip4/10.0.0.1/tcp/5001"],"labels":{"zone":"a"}}.',
    "      Relative paths in it are relative to the file.",
    `      [env ${envName("config")}]`,
    ...rows,
    "  -h, --help      Show this help.",
    "  --version       Show the agent's version.",
    "",
    "On SIGTERM or SIGINT the agent leaves the directory (at most 2 s) and exits 0.",
    "Docs: docs/agent.md",
    "",
  ].join("\n");
}

/** Names where a setting came from, for messages: its flag, its environment variable or its config file key. */
type Where = (key: Key) => string;

function sourceNamer(flags: Raw, envRaw: Raw): Where {
  return (key) => {
    const o = OPTIONS.find((x) => x.key === key)!;
    return key in flags ? `--${o.flag}` : key in envRaw ? envName(o.flag) : `config key "${key}"`;
  };
}

/** The directory's base URL, without a trailing slash. */
function directoryUrl(raw: Raw, where: Where): string {
  const directory = str(raw, "directory", where("directory"));
  if (!directory) throw new ConfigError("--directory is required (the directory's base URL; see --help)");
  let url: URL;
  try {
    url = new URL(directory);
  } catch {
    throw new ConfigError(`${where("directory")} ${JSON.stringify(directory)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(`${where("directory")} must be an http or https URL`);
  return url.toString().replace(/\/+$/, "");
}

/** Which cluster, and which node of it, this agent is. */
function identity(raw: Raw, where: Where): Pick<AgentConfig, "cluster" | "node"> {
  const cluster = str(raw, "cluster", where("cluster"));
  if (!cluster) throw new ConfigError("--cluster is required (see --help)");
  if (!CLUSTER_NAME.test(cluster)) throw new ConfigError(`${where("cluster")} ${JSON.stringify(cluster)}: ${CLUSTER_NAME_RULE}`);
  const node = str(raw, "node", where("node")) ?? hostname();
  if (!NODE_ID.test(node)) {
    throw new ConfigError(`node id ${JSON.stringify(node)} (${"node" in raw ? where("node") : "the host name"}): ${NODE_ID_RULE}; set --node`);
  }
  return { cluster, node };
}

/** What the node registers: its addresses, labels and requested lease length. */
function registration(raw: Raw, where: Where): Pick<AgentConfig, "addrs" | "labels" | "ttl"> {
  const addrsRaw = raw.addrs;
  if (addrsRaw !== undefined && (!Array.isArray(addrsRaw) || !addrsRaw.every((a) => typeof a === "string"))) {
    throw new ConfigError(`${where("addrs")} must be a list of multiaddr strings`);
  }
  const addrs = (addrsRaw as string[] | undefined) ?? [];
  if (addrs.length === 0) throw new ConfigError("at least one --addr is required (the multiaddr peers should dial, see --help)");
  if (addrs.length > MAX_ADDRS) throw new ConfigError(`at most ${MAX_ADDRS} addresses, got ${addrs.length}`);
  for (const a of addrs) {
    const why = checkAddrShape(a);
    if (why) throw new ConfigError(`${where("addrs")} ${JSON.stringify(a)}: ${why}`);
  }

  const labelsRaw = raw.labels ?? {};
  if (typeof labelsRaw !== "object" || labelsRaw === null || Array.isArray(labelsRaw)) throw new ConfigError(`${where("labels")} must be an object of strings`);
  const labels = labelsRaw as Record<string, unknown>;
  if (Object.keys(labels).length > MAX_LABELS) throw new ConfigError(`at most ${MAX_LABELS} labels`);
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_KEY.test(k)) throw new ConfigError(`${JSON.stringify(k)}: ${LABEL_KEY_RULE}`);
    if (typeof v !== "string" || v.length > MAX_LABEL_VALUE) throw new ConfigError(`label ${k}: the value must be a string of at most ${MAX_LABEL_VALUE} characters`);
  }

  const ttl = num(raw, "ttl", where("ttl")) ?? null;
  if (ttl !== null && (!Number.isSafeInteger(ttl) || ttl <= 0)) throw new ConfigError(`${where("ttl")} must be a positive whole number of seconds`);
  return { addrs, labels: labels as Record<string, string>, ttl };
}

/** How the agent follows the directory: its transport and polling pace. */
function following(raw: Raw, where: Where): Pick<AgentConfig, "pollInterval" | "transport" | "maxPeers"> {
  const pollInterval = num(raw, "pollInterval", where("pollInterval")) ?? DEFAULT_POLL_INTERVAL;
  if (pollInterval < MIN_POLL_INTERVAL || pollInterval > 3600) throw new ConfigError(`${where("pollInterval")} must be between ${MIN_POLL_INTERVAL} and 3600 seconds`);
  const transport = (str(raw, "transport", where("transport")) ?? "auto") as TransportMode;
  if (!TRANSPORT_MODES.includes(transport)) throw new ConfigError(`${where("transport")} must be one of ${TRANSPORT_MODES.join(", ")}`);
  const maxPeers = num(raw, "maxPeers", where("maxPeers")) ?? null;
  if (maxPeers !== null && (!Number.isSafeInteger(maxPeers) || maxPeers < 1 || maxPeers > 99_999))
    throw new ConfigError(`${where("maxPeers")} must be a whole number from 1 to 99999`);
  return { pollInterval, transport, maxPeers };
}

/** What the agent keeps and serves on this host: its endpoints, files and hook. */
function local(raw: Raw, where: Where, env: NodeJS.ProcessEnv): Pick<AgentConfig, "listen" | "joinTokenFile" | "caFile" | "stateDir" | "peersFile" | "onChange"> {
  const listen = parseListen(str(raw, "listen", where("listen")) ?? DEFAULT_LISTEN);
  const joinTokenFile = str(raw, "joinTokenFile", where("joinTokenFile"));
  const caFile = str(raw, "caFile", where("caFile"));
  const peersFile = str(raw, "peersFile", where("peersFile"));
  const stateDir = str(raw, "stateDir", where("stateDir"));
  return {
    listen,
    joinTokenFile: joinTokenFile ? resolve(joinTokenFile) : null,
    caFile: caFile ? resolve(caFile) : null,
    stateDir: resolve(stateDir || defaultStateDir(env)),
    peersFile: peersFile ? resolve(peersFile) : null,
    onChange: str(raw, "onChange", where("onChange")) || null,
  };
}

function logging(raw: Raw, where: Where): Pick<AgentConfig, "logFormat" | "logLevel"> {
  const logFormat = (str(raw, "logFormat", where("logFormat")) ?? "text") as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) throw new ConfigError(`${where("logFormat")} must be one of ${LOG_FORMATS.join(", ")}`);
  const logLevel = (str(raw, "logLevel", where("logLevel")) ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`${where("logLevel")} must be one of ${LOG_LEVELS.join(", ")}`);
  return { logFormat, logLevel };
}

/** The self-check of this node's own address and the probes of its peers. */
function probing(raw: Raw, where: Where): Pick<AgentConfig, "noSelfCheck" | "probeInterval" | "noProbes" | "probeRanges"> {
  const [noSelfCheck, noProbes] = [raw.noSelfCheck ?? false, raw.noProbes ?? false];
  if (typeof noSelfCheck !== "boolean" || typeof noProbes !== "boolean")
    throw new ConfigError(`${where(typeof noProbes !== "boolean" ? "noProbes" : "noSelfCheck")} must be true or false`);
  const probeInterval = num(raw, "probeInterval", where("probeInterval")) ?? DEFAULT_PROBE_INTERVAL;
  if (probeInterval < 1 || probeInterval > 3600) throw new ConfigError(`${where("probeInterval")} must be between 1 and 3600 seconds`);
  const probeRanges = raw.probeRanges ?? [];
  if (!Array.isArray(probeRanges) || probeRanges.length > MAX_RANGES) throw new ConfigError(`${where("probeRanges")} must be a list of at most ${MAX_RANGES} CIDR ranges`);
  for (const range of probeRanges) if (cidrProblem(String(range))) throw new ConfigError(`${where("probeRanges")}: ${cidrProblem(String(range))}`);
  return { noSelfCheck, probeInterval, noProbes, probeRanges: probeRanges as string[] };
}

/** When local consumers count as asking for peers in a loop. */
function consumerLoops(raw: Raw, where: Where): Pick<AgentConfig, "consumerLoopThreshold"> {
  const consumerLoopThreshold = num(raw, "consumerLoopThreshold", where("consumerLoopThreshold")) ?? DEFAULT_CONSUMER_LOOP_THRESHOLD;
  if (!Number.isSafeInteger(consumerLoopThreshold) || consumerLoopThreshold < 0) {
    throw new ConfigError(`${where("consumerLoopThreshold")} must be a whole number of requests a minute (0 turns detection off)`);
  }
  return { consumerLoopThreshold };
}

/**
 * Parses argv (without node and script) and env; `read` reads the config file. Throws ConfigError.
 * Flags win over the environment, which wins over the config file; each group of settings is
 * then checked by its own step, in the order --help lists them.
 */
export function parseCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, read: (path: string) => string = (p) => readFileSync(p, "utf8")): ParsedCommand {
  const flags = fromFlags(argv, OPTIONS);
  if (flags.help) return { kind: "help" };
  if (flags.version) return { kind: "version" };
  const configFile = flags.config ?? (env.PEERDIR_CONFIG || undefined);
  const file = configFile ? fromFile(resolve(configFile), read, OPTIONS) : {};
  const envRaw = fromEnv(env, OPTIONS);
  const raw: Raw = { ...file, ...envRaw, ...flags.raw };
  const where = sourceNamer(flags.raw, envRaw);
  return {
    kind: "run",
    config: {
      directory: directoryUrl(raw, where),
      ...identity(raw, where),
      ...registration(raw, where),
      ...following(raw, where),
      ...local(raw, where, env),
      ...logging(raw, where),
      ...probing(raw, where),
      ...consumerLoops(raw, where),
      configFile: configFile ? resolve(configFile) : null,
    },
  };
}
