/**
 * The agent's configuration: command-line flags, then `PEERDIR_*` environment variables, then a
 * JSON config file, then defaults (the first that sets an option wins; repeatable options are
 * taken whole from one source, never merged). One table drives parsing, the environment and
 * config-file names, and `--help`, so the help text cannot drift from what is accepted.
 *
 * Everything is validated here, before any network traffic, so a typo fails at start-up with a
 * message naming the option instead of as a 400 from the directory minutes later.
 */
import { readFileSync } from "node:fs";
import { hostname, homedir } from "node:os";
import { dirname, resolve } from "node:path";
import { util } from "./builtins.js";
import { CLUSTER_NAME, LABEL_KEY, MAX_ADDRS, MAX_LABELS, MAX_LABEL_VALUE, NODE_ID } from "../contract/names.js";
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
  configFile: string | null;
}

export type ParsedCommand = { kind: "help" } | { kind: "version" } | { kind: "run"; config: AgentConfig };

export class ConfigError extends Error {}

type Key = Exclude<keyof AgentConfig, "configFile">;

interface OptionSpec {
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
  { flag: "ttl", key: "ttl", arg: "SECONDS", help: "Requested lease length. The directory clamps it (default bounds 10-3600 s). Default: the cluster's default (60 s)." },
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
];

export function envName(flag: string): string {
  return `PEERDIR_${flag.toUpperCase().replace(/-/g, "_")}`;
}

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

type Raw = Partial<Record<Key, unknown>>;

function splitList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function parseLabels(items: string[], source: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq < 1) throw new ConfigError(`${source}: label ${JSON.stringify(item)} is not KEY=VALUE`);
    labels[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return labels;
}

function fromFlags(argv: string[]): { raw: Raw; help: boolean; version: boolean; config?: string } {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {
    config: { type: "string" },
    help: { type: "boolean", short: "h" },
    version: { type: "boolean" },
  };
  for (const o of OPTIONS) options[o.flag] = o.boolean ? { type: "boolean" } : { type: "string", ...(o.repeatable ? { multiple: true } : {}) };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = util.parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message.split("\n")[0]} (see --help)`);
  }
  const raw: Raw = {};
  for (const o of OPTIONS) {
    const v = values[o.flag];
    if (v === undefined) continue;
    raw[o.key] = o.key === "labels" ? parseLabels(v as string[], `--label`) : v;
  }
  return { raw, help: values.help === true, version: values.version === true, config: values.config as string | undefined };
}

function parseSwitch(value: string, source: string): boolean {
  if (/^(1|true|yes)$/i.test(value)) return true;
  if (/^(0|false|no)$/i.test(value)) return false;
  throw new ConfigError(`${source} must be 1/true/yes or 0/false/no, got ${JSON.stringify(value)}`);
}

function fromEnv(env: NodeJS.ProcessEnv): Raw {
  const raw: Raw = {};
  for (const o of OPTIONS) {
    const v = env[envName(o.flag)];
    if (v === undefined || v === "") continue;
    if (o.boolean) raw[o.key] = parseSwitch(v, envName(o.flag));
    else if (o.key === "addrs") raw.addrs = splitList(v);
    else if (o.key === "labels") raw.labels = parseLabels(splitList(v), envName(o.flag));
    else raw[o.key] = v;
  }
  return raw;
}

const PATH_KEYS: readonly Key[] = ["joinTokenFile", "stateDir", "peersFile"];

function fromFile(path: string, read: (p: string) => string): Raw {
  let data: unknown;
  try {
    data = JSON.parse(read(path));
  } catch (err) {
    throw new ConfigError(`config file ${path}: ${(err as Error).message}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new ConfigError(`config file ${path}: not a JSON object`);
  const known = new Set<string>(OPTIONS.map((o) => o.key));
  const raw: Raw = {};
  for (const [k, v] of Object.entries(data)) {
    if (!known.has(k)) throw new ConfigError(`config file ${path}: unknown key ${JSON.stringify(k)} (known: ${[...known].join(", ")})`);
    raw[k as Key] = PATH_KEYS.includes(k as Key) && typeof v === "string" ? resolve(dirname(path), v) : v;
  }
  return raw;
}

function defaultStateDir(env: NodeJS.ProcessEnv): string {
  if (env.STATE_DIRECTORY) return env.STATE_DIRECTORY.split(":")[0]!;
  if (process.getuid?.() === 0) return "/var/lib/peerdir-agent";
  return resolve(env.XDG_STATE_HOME || resolve(homedir(), ".local", "state"), "peerdir-agent");
}

function str(raw: Raw, key: Key, what: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new ConfigError(`${what} must be a string`);
  return v;
}

function num(raw: Raw, key: Key, what: string): number | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new ConfigError(`${what} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) throw new ConfigError(`--listen ${JSON.stringify(text)} is not HOST:PORT (IPv6 as [::1]:7946)`);
  return { host: (m[1] ?? m[2])!, port };
}

/** Parses argv (without node and script) and env; `read` reads the config file. Throws ConfigError. */
export function parseCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, read: (path: string) => string = (p) => readFileSync(p, "utf8")): ParsedCommand {
  const flags = fromFlags(argv);
  if (flags.help) return { kind: "help" };
  if (flags.version) return { kind: "version" };
  const configFile = flags.config ?? (env.PEERDIR_CONFIG || undefined);
  const file = configFile ? fromFile(resolve(configFile), read) : {};
  const envRaw = fromEnv(env);
  const raw: Raw = { ...file, ...envRaw, ...flags.raw };
  const where = (key: Key) => {
    const o = OPTIONS.find((x) => x.key === key)!;
    const src = key in flags.raw ? `--${o.flag}` : key in envRaw ? envName(o.flag) : `config key "${key}"`;
    return src;
  };

  const directory = str(raw, "directory", where("directory"));
  if (!directory) throw new ConfigError("--directory is required (the directory's base URL; see --help)");
  let url: URL;
  try {
    url = new URL(directory);
  } catch {
    throw new ConfigError(`${where("directory")} ${JSON.stringify(directory)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(`${where("directory")} must be an http or https URL`);

  const cluster = str(raw, "cluster", where("cluster"));
  if (!cluster) throw new ConfigError("--cluster is required (see --help)");
  if (!CLUSTER_NAME.test(cluster)) throw new ConfigError(`${where("cluster")} ${JSON.stringify(cluster)}: cluster names are 1-63 characters of a-z, 0-9 and '-'`);

  const node = str(raw, "node", where("node")) ?? hostname();
  if (!NODE_ID.test(node)) {
    throw new ConfigError(
      `node id ${JSON.stringify(node)} (${"node" in raw ? where("node") : "the host name"}) must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', '-'; set --node`,
    );
  }

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
    if (!LABEL_KEY.test(k)) throw new ConfigError(`label key ${JSON.stringify(k)}: 1-63 characters of A-Z, a-z, 0-9, '.', '_', '/', '-'`);
    if (typeof v !== "string" || v.length > MAX_LABEL_VALUE) throw new ConfigError(`label ${k}: the value must be a string of at most ${MAX_LABEL_VALUE} characters`);
  }

  const ttl = num(raw, "ttl", where("ttl")) ?? null;
  if (ttl !== null && (!Number.isSafeInteger(ttl) || ttl <= 0)) throw new ConfigError(`${where("ttl")} must be a positive whole number of seconds`);

  const pollInterval = num(raw, "pollInterval", where("pollInterval")) ?? DEFAULT_POLL_INTERVAL;
  if (pollInterval < MIN_POLL_INTERVAL || pollInterval > 3600) throw new ConfigError(`${where("pollInterval")} must be between ${MIN_POLL_INTERVAL} and 3600 seconds`);

  const transport = (str(raw, "transport", where("transport")) ?? "auto") as TransportMode;
  if (!TRANSPORT_MODES.includes(transport)) throw new ConfigError(`${where("transport")} must be one of ${TRANSPORT_MODES.join(", ")}`);

  const listenText = str(raw, "listen", where("listen")) ?? DEFAULT_LISTEN;
  const listen = parseListen(listenText);

  const logFormat = (str(raw, "logFormat", where("logFormat")) ?? "text") as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) throw new ConfigError(`${where("logFormat")} must be one of ${LOG_FORMATS.join(", ")}`);
  const logLevel = (str(raw, "logLevel", where("logLevel")) ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`${where("logLevel")} must be one of ${LOG_LEVELS.join(", ")}`);

  const noSelfCheck = raw.noSelfCheck ?? false;
  if (typeof noSelfCheck !== "boolean") throw new ConfigError(`${where("noSelfCheck")} must be true or false`);
  const probeInterval = num(raw, "probeInterval", where("probeInterval")) ?? DEFAULT_PROBE_INTERVAL;
  if (probeInterval < 1 || probeInterval > 3600) throw new ConfigError(`${where("probeInterval")} must be between 1 and 3600 seconds`);

  const joinTokenFile = str(raw, "joinTokenFile", where("joinTokenFile"));
  const caFile = str(raw, "caFile", where("caFile"));
  const peersFile = str(raw, "peersFile", where("peersFile"));
  const stateDir = str(raw, "stateDir", where("stateDir"));
  return {
    kind: "run",
    config: {
      directory: url.toString().replace(/\/+$/, ""),
      cluster,
      node,
      joinTokenFile: joinTokenFile ? resolve(joinTokenFile) : null,
      caFile: caFile ? resolve(caFile) : null,
      addrs,
      labels: labels as Record<string, string>,
      ttl,
      pollInterval,
      transport,
      listen,
      stateDir: resolve(stateDir || defaultStateDir(env)),
      peersFile: peersFile ? resolve(peersFile) : null,
      onChange: str(raw, "onChange", where("onChange")) || null,
      logFormat,
      logLevel,
      noSelfCheck,
      probeInterval,
      configFile: configFile ? resolve(configFile) : null,
    },
  };
}
