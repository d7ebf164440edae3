/**
 * Node built-ins the agent loads with `require`, not `import`. An ES import of a built-in builds
 * its namespace from every export, which runs the module's lazy getters: on Node 22 and newer
 * `node:http`'s WebSocket getters load the whole bundled undici (about 12 MiB resident), and
 * `node:crypto`'s and `node:util`'s load WebCrypto and worker plumbing. The agent needs none of
 * that: it speaks HTTP and WebSocket on `node:http` itself (directory-client.ts,
 * feed/websocket.ts), which keeps it near Node's own floor.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export const http: typeof import("node:http") = require("node:http");
export const crypto: typeof import("node:crypto") = require("node:crypto");
export const util: typeof import("node:util") = require("node:util");

/** `node:https`, loaded only for an https directory (TLS costs memory a plain-HTTP one need not pay). */
export function https(): typeof import("node:https") {
  return require("node:https");
}

/** `node:child_process`, loaded on the first `--on-change` run (most agents never run one). */
export function childProcess(): typeof import("node:child_process") {
  return require("node:child_process");
}
