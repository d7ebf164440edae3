#!/usr/bin/env node
// Builds the Node-side programs: the agent (into packages/agent/dist/, its own package) and the
// admin CLI (into dist/) as single plain-JS files (so `npx peerdir-agent` starts fast and needs
// nothing at run time but Node 20+), the operator console's page, script and styles as one module
// the Worker imports (dist/console/assets.js), and the Worker bundle that Node-side tests and
// benchmarks load into workerd through miniflare, and the self-hosted directory (dist/directory:
// that bundle, the in-process limiter, the workerd configs and the launcher; scripts/directory/),
// which `peerdir serve` runs and scripts/release.mjs packs.
// Runs as `prepare`, so a fresh `npm install` leaves working bins; wrangler runs
// `node scripts/build.mjs --console` before it bundles the Worker (wrangler.toml [build]).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { stageDirectory } from "./directory/config.mjs";
import { wranglerSettings } from "./wrangler-settings.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const common = { absWorkingDir: root, bundle: true, format: "esm", sourcemap: "linked", logLevel: "warning" };

/** A Node program as one plain-JS file that runs on Node 20+, stamped with the package version. */
const nodeProgram = (name, entry, source, outdir) =>
  build({
    ...common,
    entryPoints: { [name]: entry },
    outdir,
    outExtension: { ".js": ".mjs" },
    platform: "node",
    target: "node20",
    define: { __PEERDIR_VERSION__: JSON.stringify(version) },
    banner: { js: `// ${name === "agent" ? "peerdir-agent" : "peerdir"}: built by scripts/build.mjs from ${source}; edit the sources, not this file.` },
  });

/**
 * The console: src/console bundled for the browser, written as one ES module of strings so the
 * Worker serves it without static-asset plumbing, same-origin, under a strict CSP. Written to a
 * temporary file and renamed, so a bundler reading it meanwhile never sees half a file.
 */
async function consoleAssets() {
  const out = await build({
    ...common,
    entryPoints: { app: "src/console/main.ts", style: "src/console/console.css" },
    outdir: "dist/console",
    write: false,
    sourcemap: false,
    minify: true,
    platform: "browser",
    target: ["chrome120", "firefox120"],
    define: { __PEERDIR_VERSION__: JSON.stringify(version) },
  });
  const file = (suffix) => out.outputFiles.find((f) => f.path.endsWith(suffix)).text;
  const js = file("app.js");
  const css = file("style.css");
  const tag = (text) => createHash("sha256").update(text).digest("base64url").slice(0, 12);
  const html = readFileSync(`${root}src/console/index.html`, "utf8").replace("{{JS_TAG}}", tag(js)).replace("{{CSS_TAG}}", tag(css));
  const assets = { html, js, css };
  const module = `// Built by scripts/build.mjs from src/console; edit the sources, not this file.\n${Object.entries(assets)
    .map(([name, text]) => `export const ${name} = ${JSON.stringify(text)};\nexport const ${name}Tag = ${JSON.stringify(tag(text))};`)
    .join("\n")}\n`;
  const types = `${Object.keys(assets)
    .map((name) => `export declare const ${name}: string;\nexport declare const ${name}Tag: string;`)
    .join("\n")}\n`;
  mkdirSync(`${root}dist/console`, { recursive: true });
  for (const [name, text] of [
    ["assets.js", module],
    ["assets.d.ts", types],
  ]) {
    const tmp = `${root}dist/console/.${name}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, `${root}dist/console/${name}`);
  }
}

await consoleAssets();
if (process.argv.includes("--console")) process.exit(0);

await Promise.all([
  // The agent goes into its own package (packages/agent, `npm pack` there), which the checkout's
  // bin also runs.
  nodeProgram("agent", "src/agent/main.ts", "src/agent", "packages/agent/dist"),
  nodeProgram("cli", "src/cli/main.ts", "src/cli", "dist"),
  build({
    ...common,
    entryPoints: { index: "src/worker/index.ts", "self-hosted-limiter": "src/worker/self-hosted-limiter.ts" },
    outdir: "dist/worker",
    platform: "neutral",
    target: "es2024",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*", "node:*"],
    loader: { ".sql": "text" },
    define: { __PEERDIR_VERSION__: JSON.stringify(version) },
  }),
]);

stageDirectory(`${root}dist/directory`, {
  settings: wranglerSettings(root),
  version,
  files: { bundle: `${root}dist/worker/index.js`, limiter: `${root}dist/worker/self-hosted-limiter.js`, launcher: `${root}scripts/directory/launcher.sh` },
});
