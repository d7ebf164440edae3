#!/usr/bin/env node
// `npm start`: the directory on this machine, with wrangler dev on the embedded workerd.
// Durable Object state persists under .wrangler/state. On first start it writes a random local
// admin token into .dev.vars (git-ignored, mode 0600); deployed Workers get theirs from
// `npx wrangler secret put ADMIN_TOKEN` instead, there is no built-in token.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const devVars = `${root}.dev.vars`;
const port = process.env.PORT || "8787";

if (!existsSync(devVars) || !/^ADMIN_TOKEN=./m.test(readFileSync(devVars, "utf8"))) {
  const token = randomBytes(32).toString("base64url");
  writeFileSync(devVars, `# Local secrets for wrangler dev (git-ignored). Not used by deployed Workers.\nADMIN_TOKEN=${token}\n`, { mode: 0o600, flag: "a" });
  console.log("peerdir: wrote a new local admin token to .dev.vars");
}
console.log(`peerdir: directory at http://127.0.0.1:${port}  (admin token: ADMIN_TOKEN in .dev.vars)`);
console.log("peerdir: read it with  export ADMIN_TOKEN=$(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars)");

const child = spawn("wrangler", ["dev", "--ip", "127.0.0.1", "--port", port, "--persist-to", ".wrangler/state", "--show-interactive-dev-session=false"], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(signal ? 0 : (code ?? 1)));
