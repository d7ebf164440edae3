/**
 * Where the agent's settings come from, as raw values: command-line flags, `PEERDIR_*`
 * environment variables and the JSON config file, each read against the option table
 * (config.ts), and the readers that turn one raw value into a string, a number or an address.
 */
import { homedir } from "node:os";
import { dirname, resolve } from "node:path";
import { util } from "./builtins.js";
import type { Key, OptionSpec } from "./config.js";

export class ConfigError extends Error {}

export function envName(flag: string): string {
  return `PEERDIR_${flag.toUpperCase().replace(/-/g, "_")}`;
}

export type Raw = Partial<Record<Key, unknown>>;

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

export function fromFlags(argv: string[], table: readonly OptionSpec[]): { raw: Raw; help: boolean; version: boolean; config?: string } {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {
    config: { type: "string" },
    help: { type: "boolean", short: "h" },
    version: { type: "boolean" },
  };
  for (const o of table) options[o.flag] = o.boolean ? { type: "boolean" } : { type: "string", ...(o.repeatable ? { multiple: true } : {}) };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = util.parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message.split("\n")[0]} (see --help)`);
  }
  const raw: Raw = {};
  for (const o of table) {
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

export function fromEnv(env: NodeJS.ProcessEnv, table: readonly OptionSpec[]): Raw {
  const raw: Raw = {};
  for (const o of table) {
    const v = env[envName(o.flag)];
    if (v === undefined || v === "") continue;
    if (o.boolean) raw[o.key] = parseSwitch(v, envName(o.flag));
    else if (o.key === "addrs" || o.key === "probeRanges") raw[o.key] = splitList(v);
    else if (o.key === "labels") raw.labels = parseLabels(splitList(v), envName(o.flag));
    else raw[o.key] = v;
  }
  return raw;
}

const PATH_KEYS: readonly Key[] = ["joinTokenFile", "stateDir", "peersFile"];

export function fromFile(path: string, read: (p: string) => string, table: readonly OptionSpec[]): Raw {
  let data: unknown;
  try {
    data = JSON.parse(read(path));
  } catch (err) {
    throw new ConfigError(`config file ${path}: ${(err as Error).message}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new ConfigError(`config file ${path}: not a JSON object`);
  const known = new Set<string>(table.map((o) => o.key));
  const raw: Raw = {};
  for (const [k, v] of Object.entries(data)) {
    if (!known.has(k)) throw new ConfigError(`config file ${path}: unknown key ${JSON.stringify(k)} (known: ${[...known].join(", ")})`);
    raw[k as Key] = PATH_KEYS.includes(k as Key) && typeof v === "string" ? resolve(dirname(path), v) : v;
  }
  return raw;
}

export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  if (env.STATE_DIRECTORY) return env.STATE_DIRECTORY.split(":")[0]!;
  if (process.getuid?.() === 0) return "/var/lib/peerdir-agent";
  return resolve(env.XDG_STATE_HOME || resolve(homedir(), ".local", "state"), "peerdir-agent");
}

export function str(raw: Raw, key: Key, what: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new ConfigError(`${what} must be a string`);
  return v;
}

export function num(raw: Raw, key: Key, what: string): number | undefined {
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
