#!/usr/bin/env node
// `npm run typecheck`: the Worker, the tests, the agent, the CLI and the console with tsc, and the
// generated `Env` checked against wrangler.toml (`wrangler types --check`), so a config change that
// was not followed by `npm run types` fails CI. The runtime's own types come from @cloudflare/workers-types.
import { spawnSync } from "node:child_process";

const steps = [
  ["wrangler", ["types", "--check", "--include-runtime=false"]],
  ["tsc", ["-p", "."]],
  ["tsc", ["-p", "test"]],
  ["tsc", ["-p", "test/tsconfig.node.json"]],
  ["tsc", ["-p", "src/agent"]],
  ["tsc", ["-p", "src/cli"]],
  ["tsc", ["-p", "src/console"]],
];
for (const [command, args] of steps) {
  const { status } = spawnSync(command, args, { stdio: "inherit" });
  if (status !== 0) {
    console.error(`typecheck: \`${command} ${args.join(" ")}\` failed`);
    process.exit(status ?? 1);
  }
}
console.log("typecheck: ok");
