/**
 * The agent's log: one line per event on stderr, as logfmt-style text or JSON.
 *
 * The agent exists partly because a peer-discovery loop was noticed only through a log flood, so
 * callers log state changes at info and leave per-request chatter to debug: a steady state is
 * silent at the default level.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "text" | "json";
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function textValue(value: string | number | boolean | null): string {
  const s = String(value);
  return s === "" || /[\s"=\\]/.test(s) ? JSON.stringify(s) : s;
}

export function formatLine(format: LogFormat, time: Date, level: LogLevel, msg: string, fields: LogFields = {}): string {
  const defined = Object.entries(fields).filter((entry): entry is [string, string | number | boolean | null] => entry[1] !== undefined);
  if (format === "json") {
    return JSON.stringify({ time: time.toISOString(), level, msg, ...Object.fromEntries(defined) });
  }
  const tail = defined.map(([k, v]) => ` ${k}=${textValue(v)}`).join("");
  return `${time.toISOString()} ${level.padEnd(5)} ${msg}${tail}`;
}

export function createLogger(opts: { format: LogFormat; level: LogLevel; write?: (line: string) => void; now?: () => Date }): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = opts.now ?? (() => new Date());
  const threshold = RANK[opts.level];
  const at = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    if (RANK[level] >= threshold) write(formatLine(opts.format, now(), level, msg, fields));
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
