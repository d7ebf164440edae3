/**
 * Starts the real directory Worker for benchmarks: the esbuild bundle dist/worker/index.js
 * (built by scripts/build.mjs) in the workerd binary itself, from the workerd config that the
 * self-hosted directory uses too (scripts/directory/config.mjs: wrangler.toml's compatibility
 * date and flags, [vars], the Durable Object classes on SQLite storage), standing in for
 * Cloudflare's edge (the client address from CF-Connecting-IP). The socket goes straight to the
 * Worker: no wrangler dev proxy and no Miniflare entry Worker in front, which would add a
 * JavaScript hop to every request.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { workerdConfig } from "../../scripts/directory/config.mjs";
import { wranglerSettings } from "../../scripts/wrangler-settings.mjs";
import { freePort } from "./ports.mjs";
import { sleep } from "./proc.mjs";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const BENCH_ADMIN_TOKEN = "bench-admin-token-0123456789abcdef";
export const BENCH_TOKEN_KEY = "bench-token-key-0123456789abcdef0123456789abcdef";

/** The native workerd that miniflare and wrangler use, as npm's `workerd` package names it. */
function workerdBinary() {
  return createRequire(join(root, "package.json"))("workerd").default;
}

export async function startDirectory(options = {}) {
  // options.inspectorPort: expose the V8 inspector (bench/profile.mjs takes CPU profiles through it).
  // options.vars: overrides of wrangler.toml [vars].
  // options.tree: another checkout to run (bench/compare.mjs): its dist/ bundle and wrangler.toml.
  // options.bundle: a different Worker module, with the same bindings (the runtime floor).
  // options.wrap: a module that imports the real bundle as "./peerdir.js" and re-exports it,
  //   instrumented (the soak counts storage writes this way, without touching the Worker).
  const tree = options.tree ?? root;
  const dist = options.bundle ?? join(tree, "dist/worker/index.js");
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`node scripts/build.mjs\` first`);
  const work = mkdtempSync(join(tmpdir(), "peerdir-bench-workerd-"));
  const storageDir = join(work, "do");
  mkdirSync(storageDir);
  const settings = wranglerSettings(tree);
  const port = await freePort();
  // workerd embeds files relative to the config, so the bundle sits beside it.
  if (options.wrap) {
    copyFileSync(dist, join(work, "peerdir.js"));
    copyFileSync(options.wrap, join(work, "index.js"));
  } else copyFileSync(dist, join(work, "index.js"));
  // Another checkout (bench/compare.mjs) may predate the limiter module: then this one's.
  const limiter = join(tree, "dist/worker/self-hosted-limiter.js");
  copyFileSync(existsSync(limiter) ? limiter : join(root, "dist/worker/self-hosted-limiter.js"), join(work, "limiter.js"));
  const configPath = join(work, "peerdir.capnp");
  writeFileSync(
    configPath,
    workerdConfig({
      settings,
      edge: "cloudflare",
      worker: "index.js",
      address: `127.0.0.1:${port}`,
      dataDir: storageDir,
      vars: options.vars,
      secrets: { ADMIN_TOKEN: BENCH_ADMIN_TOKEN, TOKEN_KEY: BENCH_TOKEN_KEY },
      extraModules: options.wrap ? ["peerdir.js"] : [],
    }),
  );
  const args = ["serve", configPath, ...(options.inspectorPort ? [`--inspector-addr=127.0.0.1:${options.inspectorPort}`] : [])];
  // Through a shell that lifts the open-files limit to its hard limit: a cluster of thousands of
  // watchers holds a socket each, past the usual soft limit of 1,024.
  const child = spawn("/bin/sh", ["-c", 'ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"', workerdBinary(), ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}: ${stderr}`);
    try {
      await fetch(`${url}/healthz`);
      break;
    } catch {
      if (i >= 200) throw new Error(`workerd did not answer on ${url} within 20 s: ${stderr}`);
      await sleep(100);
    }
  }
  return {
    url,
    pid: child.pid,
    admin: adminClient(url),
    /** The last 4,000 characters workerd wrote to stderr. */
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(5000)]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Admin calls with the bench admin token, for a directory at `url`. */
export function adminClient(url) {
  async function call(method, path, body) {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }
  return {
    call,
    /** Creates a cluster; with `unthrottled`, turns the per-node rate limit off (minIntervalSeconds 0). */
    async createCluster(name, settings = {}) {
      const created = await call("POST", "/v1/admin/clusters", { name });
      if (Object.keys(settings).length) await call("PATCH", `/v1/admin/clusters/${name}`, settings);
      return created;
    },
  };
}

/** Deterministic, valid libp2p-style addresses: a real Ed25519 peer id shape is not needed, so
 *  addresses carry no /p2p part unless `withPeerId` (then the same fixed valid id is used). */
export function nodeAddr(i, withPeerId = false) {
  // 127.0.0.0/8: agents dial what they are handed (self-check, probes), so a bench advertises
  // loopback only and never makes anything connect beyond this machine.
  const a = 1 + ((i >> 16) & 0x7f),
    b = (i >> 8) & 0xff,
    c = i & 0xff;
  const base = `/ip4/127.${a}.${b}.${c}/tcp/5001`;
  return withPeerId ? `${base}/p2p/12D3KooWQYYD1DDK4HCYgXHiVaPLVBVpUMpZzDXjHZTJsU9rZPGR` : base;
}
