#!/usr/bin/env node
// `npm run deploy -- [wrangler deploy options]`: `wrangler deploy` with a size budget.
//
// With --dry-run --outdir DIR (as CI runs it) the bundle wrangler would upload is checked
// against BUDGET_GZIP_KIB: the Worker's gzip size is what Cloudflare limits (3 MiB on the free
// plan, 10 MiB paid) and what every cold start pays for, so growth past the budget is a decision,
// not an accident. A real deploy goes straight to wrangler.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

/** The gzip size the uploaded modules may reach, in KiB; docs/deploy.md quotes it (test/e2e/deploy.test.ts checks). */
export const BUDGET_GZIP_KIB = 300;

function main(args) {
  const started = Date.now();
  const { status } = spawnSync("wrangler", ["deploy", ...args], { stdio: "inherit" });
  if (status !== 0) process.exit(status ?? 1);

  const at = args.findIndex((a) => a === "--outdir" || a.startsWith("--outdir="));
  if (args.includes("--dry-run") && at >= 0) {
    const outdir = resolve(args[at].includes("=") ? args[at].split("=")[1] : args[at + 1]);
    // Every module wrangler would upload: the bundle and the SQL it imports, not source maps, and
    // not what an earlier run left in a reused --outdir.
    const modules = readdirSync(outdir).filter((name) => /\.(m?js|sql|wasm)$/.test(name) && statSync(join(outdir, name)).mtimeMs >= started - 1000);
    const bytes = Buffer.concat(modules.map((name) => readFileSync(join(outdir, name))));
    const gzipKib = gzipSync(bytes, { level: 9 }).length / 1024;
    const line = `bundle: ${(bytes.length / 1024).toFixed(1)} KiB, gzip ${gzipKib.toFixed(1)} KiB of a ${BUDGET_GZIP_KIB} KiB budget`;
    if (gzipKib > BUDGET_GZIP_KIB) {
      console.error(`deploy: ${line}: over budget; shrink the Worker or raise BUDGET_GZIP_KIB in scripts/deploy.mjs (and docs/deploy.md) on purpose`);
      process.exit(1);
    }
    console.log(`deploy: ${line}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main(process.argv.slice(2));
