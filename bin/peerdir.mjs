#!/usr/bin/env node
// Entry point of the `peerdir` admin CLI bin. The CLI itself is built from src/cli into dist/
// by `npm install` (the `prepare` script) or `npm run build`.
try {
  await import("../dist/cli.mjs");
} catch (err) {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/cli.mjs")) {
    console.error("peerdir: dist/cli.mjs is missing; run `npm install` or `npm run build` in the peerdir checkout first.");
    process.exit(2);
  }
  throw err;
}
