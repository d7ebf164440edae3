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

let trusted: string[] | undefined;

/**
 * Trusts the CA certificates in `pem` (--ca-file) for every https request and wss socket, besides
 * the CAs Node trusts by default (its bundled roots and NODE_EXTRA_CA_CERTS). Throws when `pem`
 * holds no certificate.
 */
export function trustCertificates(pem: string): void {
  const certificates = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!certificates) throw new Error("it holds no PEM certificate");
  const tls: typeof import("node:tls") = require("node:tls");
  const defaults = typeof tls.getCACertificates === "function" ? tls.getCACertificates("default") : [...tls.rootCertificates];
  trusted = [...defaults, ...certificates];
}

/** The TLS options of every https request: the trusted CAs when --ca-file was given. */
export function tlsOptions(): { ca?: string[] } {
  return trusted ? { ca: trusted } : {};
}

/** `node:child_process`, loaded on the first `--on-change` run (most agents never run one). */
export function childProcess(): typeof import("node:child_process") {
  return require("node:child_process");
}
