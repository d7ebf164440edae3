#!/usr/bin/env node
// Builds the Node-side programs into dist/: the agent and admin CLI as single plain-JS files
// (so `npx peerdir-agent` starts fast and needs nothing at run time but Node), and the Worker
// bundle that Node-side tests and benchmarks load into workerd through miniflare.
// Runs as `prepare`, so a fresh `npm install` leaves working bins.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const common = { absWorkingDir: root, bundle: true, format: "esm", sourcemap: "linked", logLevel: "warning" };

await Promise.all([
  build({
    ...common,
    entryPoints: { agent: "src/agent/main.ts" },
    outdir: "dist",
    outExtension: { ".js": ".mjs" },
    platform: "node",
    target: "node20",
    banner: { js: "// peerdir-agent: built by scripts/build.mjs from src/agent; edit the sources, not this file." },
  }),
  build({
    ...common,
    entryPoints: { cli: "src/cli/main.ts" },
    outdir: "dist",
    outExtension: { ".js": ".mjs" },
    platform: "node",
    target: "node20",
    banner: { js: "// peerdir: built by scripts/build.mjs from src/cli; edit the sources, not this file." },
  }),
  build({
    ...common,
    entryPoints: { index: "src/index.ts" },
    outdir: "dist/worker",
    platform: "neutral",
    target: "es2024",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*", "node:*"],
    loader: { ".sql": "text" },
  }),
]);
