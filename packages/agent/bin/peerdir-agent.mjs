#!/usr/bin/env node
// Entry point of the `peerdir-agent` bin, in this package and in the peerdir checkout. The agent
// itself is one plain-JS file built from the checkout's src/agent into dist/ by
// scripts/build.mjs (`npm install` or `npm run build` there, or `npm pack` here).
//
// Stopping through npm: `npx peerdir-agent` runs it as npm → `sh -c` → node. npm passes SIGTERM
// and SIGINT on to that shell only, and the shell dies without passing them further, so
// `kill <npx pid>` from a service manager would leave the agent running and registered. When
// npm started it, the bin therefore watches its parent: once the shell is gone, it stops the
// agent as SIGTERM does (leave the directory, exit 0). Run directly (systemd, a container),
// there is no shell in between and signals arrive as sent. Once a second: each look wakes the
// otherwise idle process (four a second cost about 0.1 % of a core, more than the agent itself).
if (process.env.npm_command) {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.kill(process.pid, "SIGTERM");
  }, 1000);
  watch.unref();
}

try {
  await import("../dist/agent.mjs");
} catch (err) {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/agent.mjs")) {
    console.error("peerdir-agent: dist/agent.mjs is missing; run `npm install` or `npm run build` in the peerdir checkout first.");
    process.exit(1);
  }
  throw err;
}
