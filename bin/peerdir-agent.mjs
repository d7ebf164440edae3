#!/usr/bin/env node
// Entry point of the `peerdir-agent` bin in the checkout: the same bin the peerdir-agent package
// ships (packages/agent), which runs the agent built from src/agent by `npm install` or
// `npm run build`.
import "../packages/agent/bin/peerdir-agent.mjs";
