/**
 * Command-line parsing: finds the command in argv, then parses its arguments and options
 * (with the global ones) strictly against spec.ts, and converts option values. Every mistake is a
 * UsageError (exit 2) raised before any request is made.
 *
 * Global options may come anywhere; a command's own options come after its words, so the words
 * can be found without knowing which command's options take values.
 */
import { parseArgs } from "node:util";
import { CLUSTER_NAME, CLUSTER_NAME_RULE, NODE_ID, NODE_ID_RULE } from "../contract/names.js";
import { ADMIN_TOKEN_NAME, ADMIN_TOKEN_NAME_RULE } from "../contract/tokens.js";
import { COMMANDS, type CommandSpec, GLOBAL_OPTIONS, groups, type OptionSpec } from "./spec.js";

export class UsageError extends Error {
  /** The command whose help applies, for the "see --help" hint. */
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** A missing or unusable URL or token: exit 2 like a usage error, but the fix is in the environment. */
export class ConfigError extends UsageError {}

export interface GlobalFlags {
  url?: string;
  tokenFile?: string;
  json: boolean;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export type Parsed =
  | { kind: "help"; topic: string | null }
  | { kind: "version" }
  | { kind: "run"; command: CommandSpec; args: Record<string, string>; options: OptionValues; global: GlobalFlags };

type ParseArgsOptions = Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;

function toParseArgs(specs: readonly OptionSpec[]): ParseArgsOptions {
  const out: ParseArgsOptions = {};
  for (const o of specs) out[o.flag] = { type: o.arg ? "string" : "boolean", ...(o.repeatable ? { multiple: true } : {}) };
  return out;
}

const GLOBAL_PARSE = { ...toParseArgs(GLOBAL_OPTIONS), help: { type: "boolean", short: "h" } } satisfies ParseArgsOptions;

const VALIDATE: Record<string, { pattern: RegExp; what: string }> = {
  NAME: { pattern: CLUSTER_NAME, what: CLUSTER_NAME_RULE },
  CLUSTER: { pattern: CLUSTER_NAME, what: CLUSTER_NAME_RULE },
  TOKEN_NAME: { pattern: ADMIN_TOKEN_NAME, what: ADMIN_TOKEN_NAME_RULE },
  NODE: { pattern: NODE_ID, what: NODE_ID_RULE },
};

/** Levenshtein distance, for "did you mean": the words compared are a few characters long. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/** "; did you mean X?" for the closest candidate (at most 2 edits, or a prefix), else "". */
export function didYouMean(typed: string, candidates: readonly string[], show: (c: string) => string = (c) => c): string {
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of candidates) {
    const score = typed.length >= 3 && candidate.startsWith(typed) ? 1 : distance(typed, candidate);
    if (score <= Math.min(2, Math.max(1, candidate.length - 2)) && (!best || score < best.score)) best = { candidate, score };
  }
  return best ? `; did you mean ${show(best.candidate)}?` : "";
}

/** Indices of the command words in argv, skipping global options and their values. */
function findWords(argv: readonly string[]): { words: string[]; at: number[]; help: boolean } {
  const words: string[] = [];
  const at: number[] = [];
  // --help anywhere wins, so `peerdir pin --help` works without pin's required arguments.
  const end = argv.indexOf("--");
  const help = (end === -1 ? argv : argv.slice(0, end)).some((t) => t === "-h" || t === "--help");
  const grouped = groups();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === "--") break;
    if (token.startsWith("-") && token !== "-") {
      const name = token.replace(/^--?/, "").split("=")[0];
      const global = GLOBAL_OPTIONS.find((o) => o.flag === name);
      if (global?.arg && !token.includes("=")) i++;
      else if (!global && name !== "h" && words.length === 0) {
        const known = COMMANDS.some((c) => c.options.some((o) => o.flag === name));
        const hint = known
          ? ""
          : didYouMean(
              name,
              GLOBAL_OPTIONS.map((o) => o.flag),
              (f) => `--${f}`,
            );
        throw new UsageError(hint ? `unknown option ${token}${hint}` : `${token} is not an option of peerdir itself; put a command's options after the command`);
      }
      continue;
    }
    if (words.length === 0 && !grouped.has(token)) {
      throw new UsageError(`unknown command ${JSON.stringify(token)}${didYouMean(token, [...grouped.keys()], (c) => `"peerdir ${c}"`)}`);
    }
    words.push(token);
    at.push(i);
    const hasSubcommands = grouped.get(words[0])![0].id.includes(" ");
    if (!hasSubcommands || words.length === 2) break;
  }
  return { words, at, help };
}

export function parseCommandLine(argv: readonly string[]): Parsed {
  const { words, at, help } = findWords(argv);
  if (words.length === 0) {
    if (help) return { kind: "help", topic: null };
    if (argv.includes("--version")) return { kind: "version" };
    throw new UsageError("no command given");
  }
  const group = words[0];
  const members = groups().get(group) ?? [];
  if (members[0].id.includes(" ") && words.length < 2) {
    if (help) return { kind: "help", topic: group };
    throw new UsageError(`${group} needs a subcommand: ${members.map((m) => m.id.split(" ")[1]).join(", ")}`, group);
  }
  const id = words.join(" ");
  const command = COMMANDS.find((c) => c.id === id);
  if (!command) {
    const subcommands = members.map((m) => m.id.split(" ")[1]);
    const hint = didYouMean(words[1], subcommands, (c) => `"peerdir ${group} ${c}"`);
    throw new UsageError(`unknown command "peerdir ${id}"${hint || `; ${group} has ${subcommands.join(", ")}`}`, group);
  }
  if (help) return { kind: "help", topic: command.id };

  const rest = argv.filter((_, i) => !at.includes(i));
  let values: OptionValues;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...rest],
      options: { ...GLOBAL_PARSE, ...toParseArgs(command.options) },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    const message = plainParseError(err as Error);
    const unknown = /^unknown option --?(.+)$/.exec(message)?.[1];
    const flags = [...command.options, ...GLOBAL_OPTIONS].map((o) => o.flag);
    throw new UsageError(unknown ? `${message}${didYouMean(unknown, flags, (f) => `--${f}`)}` : message, command.id);
  }
  if (positionals.length !== command.args.length) {
    const wanted = command.args.length === 0 ? "no arguments" : command.args.join(" ");
    const extra =
      positionals.length > command.args.length ? `unexpected ${JSON.stringify(positionals[command.args.length])}` : `missing ${command.args.slice(positionals.length).join(" ")}`;
    throw new UsageError(`peerdir ${command.id} takes ${wanted}: ${extra}`, command.id);
  }
  const args: Record<string, string> = {};
  command.args.forEach((name, i) => {
    const value = positionals[i];
    const rule = VALIDATE[name];
    if (rule && !rule.pattern.test(value)) throw new UsageError(`${JSON.stringify(value)} is not a valid ${name}: ${rule.what}`, command.id);
    args[name] = value;
  });
  for (const o of command.options) {
    if (o.required && values[o.flag] === undefined) throw new UsageError(`peerdir ${command.id} needs --${o.flag} ${o.arg ?? ""}`.trimEnd(), command.id);
  }
  const options: OptionValues = {};
  for (const o of command.options) options[o.flag] = values[o.flag];
  const global: GlobalFlags = { json: values.json === true };
  if (typeof values.url === "string") global.url = values.url;
  if (typeof values["token-file"] === "string") global.tokenFile = values["token-file"];
  return { kind: "run", command, args, options, global };
}

/** node:util's messages are several sentences about its own API; give one line in the CLI's words. */
export function plainParseError(err: Error): string {
  const m = err.message;
  let found: RegExpExecArray | null;
  if ((found = /^Unknown option '([^']+)'/.exec(m))) return `unknown option ${found[1]}`;
  if ((found = /^Option '(--[^ ']+)[^']*' argument missing/.exec(m))) return `option ${found[1]} needs a value`;
  if ((found = /^Option '([^']+)' argument is ambiguous/.exec(m))) return `option ${found[1]} needs a value; for one that starts with '-', write ${found[1]}=VALUE`;
  if ((found = /^Option '([^']+)' does not take an argument/.exec(m))) return `option ${found[1]} takes no value`;
  return m.split(/\.\s/)[0].replace(/\.$/, "");
}

// Option value conversions. Ranges are the directory's to enforce (its 400 names the field); these
// only catch values that are not numbers at all.

export function wholeNumber(value: string, flag: string): number {
  if (!/^[0-9]{1,15}$/.test(value)) throw new UsageError(`--${flag} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

export function decimalNumber(value: string, flag: string): number {
  if (!/^[0-9]{1,15}(\.[0-9]{1,9})?$/.test(value)) throw new UsageError(`--${flag} must be a number like 2 or 0.5, got ${JSON.stringify(value)}`);
  return Number(value);
}

export function addressPolicy(value: string, flag: string): "any" | "observed-ip" {
  if (value !== "any" && value !== "observed-ip") throw new UsageError(`--${flag} is any or observed-ip, got ${JSON.stringify(value)}`);
  return value;
}

export function probing(value: string, flag: string): "on" | "off" {
  if (value !== "on" && value !== "off") throw new UsageError(`--${flag} is on or off, got ${JSON.stringify(value)}`);
  return value;
}

/** Comma-separated CIDR ranges, or `any` for none (the directory checks each range). */
export function rangesOrAny(value: string): string[] {
  return value === "any" ? [] : value.split(",").map((range) => range.trim());
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?/;

/**
 * A time for the directory: ISO 8601 with a zone. A time without one is refused here, with the
 * fix, rather than guessed (local time? UTC?) or sent for a 400.
 */
export function isoTimeWithZone(value: string, flag: string): string {
  const time = ISO_TIME.exec(value);
  const zone = time ? value.slice(time[0].length) : null;
  if (time && zone === "") {
    throw new UsageError(`--${flag} ${value} has no time zone; add Z for UTC or an offset, e.g. ${value}Z or ${value}+02:00`);
  }
  if (!time || !/^(Z|z|[+-]\d{2}:\d{2})$/.test(zone ?? "") || Number.isNaN(Date.parse(value))) {
    throw new UsageError(`--${flag} must be an ISO 8601 time with a zone, e.g. 2030-01-01T00:00:00Z; got ${JSON.stringify(value)}`);
  }
  return value;
}

export function limitOrNone(value: string, flag: string): number | null {
  return value === "none" ? null : wholeNumber(value, flag);
}

export function labelPairs(values: readonly string[] | undefined): Record<string, string> | undefined {
  if (!values || values.length === 0) return undefined;
  const labels: Record<string, string> = {};
  for (const pair of values) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--label takes KEY=VALUE, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, eq);
    if (Object.hasOwn(labels, key)) throw new UsageError(`--label ${key} is given twice`);
    labels[key] = pair.slice(eq + 1);
  }
  return labels;
}
