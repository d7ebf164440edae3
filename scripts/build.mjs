#!/usr/bin/env node
// Builds the Node-side programs: the agent (into packages/agent/dist/, its own package) and the
// admin CLI (into dist/) as single plain-JS files (so `npx peerdir-agent` starts fast and needs
// nothing at run time but Node 20+), and the Worker bundle that Node-side tests and benchmarks load into workerd through miniflare.
// Runs as `prepare`, so a fresh `npm install` leaves working bins.
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

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

await Promise.all([
  // The agent goes into its own package (packages/agent, `npm pack` there), which the checkout's
  // bin also runs.
  nodeProgram("agent", "src/agent/main.ts", "src/agent", "packages/agent/dist"),
  nodeProgram("cli", "src/cli/main.ts", "src/cli", "dist"),
  build({
    ...common,
    entryPoints: { index: "src/worker/index.ts" },
    outdir: "dist/worker",
    platform: "neutral",
    target: "es2024",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*", "node:*"],
    loader: { ".sql": "text" },
  }),
]);
