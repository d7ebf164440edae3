/**
 * `peerdir --help`, `peerdir <group> --help` and `peerdir <command> --help`, rendered from the
 * command table in spec.ts.
 */
import { COMMANDS, type CommandSpec, GLOBAL_OPTIONS, groups, type OptionSpec, usageLine } from "./spec.js";

const ENVIRONMENT = [
  "Environment:",
  "  PEERDIR_URL           the directory's base URL, e.g. https://peerdir.example.com (--url overrides)",
  "  PEERDIR_ADMIN_TOKEN   an admin token: the ADMIN_TOKEN, the ADMIN_READ_TOKEN or a named token (peerdir token create);",
  "                        --token-file overrides. There is no --token flag: argv is visible in ps.",
];

const EXIT_CODES = [
  "Exit codes:",
  "  0  done",
  "  1  the directory refused the request (one line from its problem+json) or could not be reached",
  "  2  usage or configuration error; nothing was sent",
];

function optionLines(options: readonly OptionSpec[]): string[] {
  const left = options.map((o) => `  --${o.flag}${o.arg ? ` ${o.arg}` : ""}`);
  const w = Math.max(...left.map((l) => l.length)) + 2;
  return options.map((o, i) => `${left[i].padEnd(w)}${o.help}`);
}

function commandList(commands: readonly CommandSpec[]): string[] {
  const left = commands.map((c) => `  ${c.id}${c.args.length ? ` ${c.args.join(" ")}` : ""}`);
  const w = Math.max(...left.map((l) => l.length)) + 2;
  return commands.map((c, i) => `${left[i].padEnd(w)}${c.summary}`);
}

export function mainHelp(): string {
  return [
    "peerdir: the admin CLI of a peerdir directory (clusters, join tokens, admin tokens, overrides, audit).",
    "",
    "Usage: peerdir [--url URL] [--token-file FILE] [--json] <command> [arguments] [options]",
    "",
    "Commands:",
    ...commandList(COMMANDS),
    "",
    "Global options (anywhere on the line):",
    ...optionLines(GLOBAL_OPTIONS),
    "",
    ...ENVIRONMENT,
    "",
    ...EXIT_CODES,
    "",
    "Tables are for people; use --json in scripts. `peerdir <command> --help` shows a command's options and examples.",
  ].join("\n");
}

export function commandHelp(topic: string): string {
  const command = COMMANDS.find((c) => c.id === topic);
  if (!command) {
    const members = groups().get(topic) ?? [];
    return [
      `Usage: peerdir ${topic} <${members.map((m) => m.id.split(" ")[1]).join("|")}> ...`,
      "",
      "Commands:",
      ...commandList(members),
      "",
      `Run \`peerdir ${topic} <command> --help\` for details.`,
    ].join("\n");
  }
  const out = [`Usage: ${usageLine(command)}`, "", command.summary];
  if (command.details) out.push(command.details);
  if (command.options.length) out.push("", "Options:", ...optionLines(command.options));
  out.push("", "Global options:", ...optionLines(GLOBAL_OPTIONS));
  out.push("", command.examples.length > 1 ? "Examples:" : "Example:", ...command.examples.map((e) => `  ${e}`));
  return out.join("\n");
}
