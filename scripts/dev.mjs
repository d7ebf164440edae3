#!/usr/bin/env node
// `npm start`: the directory on this machine, with wrangler dev on the embedded workerd.
//
// - Arguments pass through to `wrangler dev` (`npm start -- --port 8788`); --ip and --port
//   default to 127.0.0.1 and $PORT (else 8787).
// - Durable Object state persists under .wrangler/state.
// - On first start it writes a random local admin token and TOKEN_KEY into .dev.vars (git-ignored,
//   mode 0600).
//   wrangler dev binds every key in .dev.vars, so an ADMIN_READ_TOKEN line there works too.
//   Deployed Workers get theirs from `npm run wrangler -- secret put`; there is no built-in token.
// - "directory at …" is printed once /healthz answers, never before; if wrangler fails, this
//   exits non-zero and repeats wrangler's reason as its last line.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const devVars = `${root}.dev.vars`;

/** The value of `--name v` or `--name=v` in args, if given. */
function option(args, name) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1];
    if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
  }
  return undefined;
}

const passed = process.argv.slice(2);
const ip = option(passed, "--ip") ?? "127.0.0.1";
const port = option(passed, "--port") ?? process.env.PORT ?? "8787";
const args = ["dev", ...passed];
if (option(passed, "--ip") === undefined) args.push("--ip", ip);
if (option(passed, "--port") === undefined) args.push("--port", port);
if (option(passed, "--persist-to") === undefined) args.push("--persist-to", ".wrangler/state");
if (!passed.some((a) => a.startsWith("--show-interactive-dev-session"))) args.push("--show-interactive-dev-session=false");

// The local secrets, each generated once: the admin token, and TOKEN_KEY, which MACs the join
// tokens and node credentials this directory mints.
for (const [name, what] of [
  ["ADMIN_TOKEN", "a new local admin token"],
  ["TOKEN_KEY", "a new local token key (TOKEN_KEY)"],
]) {
  const vars = existsSync(devVars) ? readFileSync(devVars, "utf8") : "";
  if (new RegExp(`^${name}=.`, "m").test(vars)) continue;
  const header = vars ? "" : "# Local secrets for wrangler dev (git-ignored). Not used by deployed Workers.\n";
  const separator = vars && !vars.endsWith("\n") ? "\n" : "";
  writeFileSync(devVars, `${separator}${header}${name}=${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "a" });
  console.log(`peerdir: wrote ${what} to .dev.vars`);
}

const child = spawn("wrangler", args, {
  cwd: root,
  stdio: ["inherit", "pipe", "pipe"],
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
});

// wrangler's output goes through as it comes; its error lines are kept for the last word.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point
const ANSI = /\x1b\[[0-9;]*m/g;
const errors = [];
for (const [from, to] of [
  [child.stdout, process.stdout],
  [child.stderr, process.stderr],
]) {
  from.on("data", (chunk) => {
    to.write(chunk);
    for (const line of String(chunk).replace(ANSI, "").split("\n")) {
      const error = /(?:✘\s*)?\[ERROR\]\s*(.+)/.exec(line);
      if (error) errors.push(error[1].trim());
    }
  });
}

let exited = false;
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    stopping = true;
    child.kill(signal);
  });
}
child.on("exit", (code, signal) => {
  exited = true;
  // Stopped on purpose (Ctrl-C, a service manager): wrangler's exit code says only that.
  if (signal || stopping) process.exit(0);
  if (code !== 0 || !ready) {
    const reason = errors.at(-1) ?? `wrangler dev exited with code ${code}`;
    console.error(`peerdir: the directory did not start: ${reason}`);
    process.exit(code || 1);
  }
  process.exit(0);
});

// Ready means /healthz answers; the loop ends by itself when wrangler exits.
let ready = false;
const host = ip.includes(":") ? `[${ip}]` : ip;
const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
while (!exited && !ready) {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    ready = res.ok;
  } catch {
    // not listening yet
  }
  if (!ready) await new Promise((resolve) => setTimeout(resolve, 250));
}
if (ready) {
  console.log(`peerdir: directory at ${url}  (admin token: ADMIN_TOKEN in .dev.vars)`);
  console.log("peerdir: read it with  export ADMIN_TOKEN=$(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars)");
}
