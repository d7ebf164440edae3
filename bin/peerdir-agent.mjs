#!/usr/bin/env node
// Entry point of the `peerdir-agent` bin. The agent itself is built from src/agent into dist/
// by `npm install` (the `prepare` script) or `npm run build`.
try {
  await import("../dist/agent.mjs");
} catch (err) {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/agent.mjs")) {
    console.error("peerdir-agent: dist/agent.mjs is missing; run `npm install` or `npm run build` in the peerdir checkout first.");
    process.exit(1);
  }
  throw err;
}
