/**
 * `peerdir` entry point: parse, resolve the connection, run one command, and map every failure
 * to one line on stderr and an exit code (1: the directory refused or was unreachable; 2: usage
 * or configuration, nothing sent).
 *
 * Sets process.exitCode instead of calling process.exit, so a large --json answer piped
 * elsewhere is flushed in full before the process ends.
 */
import { readFileSync } from "node:fs";
import { ConfigError, parseCommandLine, UsageError } from "./args.js";
import { AdminApiError } from "../contract/admin-client.js";
import { AdminClient, ConnectionError } from "./client.js";
import { type Context, RUN } from "./commands.js";
import { resolveConnection } from "./connection.js";
import { commandHelp, mainHelp } from "./help.js";
import { formatProblem } from "./problem.js";
import { clean } from "./table.js";
import { VERSION } from "../contract/version.js";

const cliVersion = () => VERSION;

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

async function main(argv: string[]): Promise<number> {
  let command: string | undefined;
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === "help") {
      out(parsed.topic === null ? mainHelp() : commandHelp(parsed.topic));
      return 0;
    }
    if (parsed.kind === "version") {
      out(cliVersion());
      return 0;
    }
    command = parsed.command.id;
    const global = parsed.global;
    let client: AdminClient | undefined;
    const ctx: Context = {
      get client() {
        return (client ??= new AdminClient(resolveConnection(global, process.env, (path) => readFileSync(path, "utf8"))));
      },
      json: global.json,
      out,
      note: err,
      now: Date.now,
    };
    return (await RUN[parsed.command.id](ctx, { args: parsed.args, options: parsed.options })) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      const topic = e instanceof ConfigError ? undefined : (e.command ?? command);
      err(`peerdir: ${clean(e.message)}`);
      err(topic ? `Run \`peerdir ${topic} --help\` for usage.` : "Run `peerdir --help` for usage.");
      return 2;
    }
    if (e instanceof AdminApiError) {
      err(formatProblem(e.problem));
      return 1;
    }
    if (e instanceof ConnectionError) {
      err(`peerdir: ${clean(e.message)}`);
      return 1;
    }
    throw e;
  }
}

// `peerdir audit x --all | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2));
