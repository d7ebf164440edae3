/**
 * `peerdir serve`: the self-hosted directory for npm users. It runs the very launcher the release
 * tarball ships (dist/directory/bin/peerdir-directory, staged by scripts/build.mjs beside this
 * bundle) on the workerd binary npm installed, so its checks, ready line and shutdown are the
 * tarball's. Signals are passed on; the exit code is the launcher's.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { type OptionValues, UsageError } from "./args.js";

const FLAGS = ["listen", "data", "tls-cert", "tls-key", "secrets-file"];

/**
 * The native workerd of the `workerd` npm package (a devDependency of wrangler and of this
 * checkout): its platform package's binary, as the package itself names it. Its `bin/workerd` is
 * a Node.js shim until its install script replaces it, which the project does not run.
 */
function workerdBinary(): string {
  try {
    return (createRequire(import.meta.url)("workerd") as { default: string }).default;
  } catch {
    throw new UsageError("the workerd npm package is not installed here; run `npm install`, or use the release tarball", "serve");
  }
}

export function serve(options: OptionValues): Promise<number> {
  const launcher = fileURLToPath(new URL("./directory/bin/peerdir-directory", import.meta.url));
  const args = FLAGS.flatMap((flag) => (typeof options[flag] === "string" ? [`--${flag}`, options[flag] as string] : []));
  const env = { ...process.env, PEERDIR_WORKERD: process.env.PEERDIR_WORKERD ?? workerdBinary() };
  const child = spawn("sh", [launcher, ...args], { stdio: "inherit", env });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, forward(signal));
  return new Promise((resolve) => {
    child.on("error", (err) => {
      process.stderr.write(`peerdir: cannot run ${launcher}: ${err.message}\n`);
      resolve(1);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal === "SIGTERM" || signal === "SIGINT" ? 0 : 1)));
  });
}
