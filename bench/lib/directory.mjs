/**
 * Starts the real directory Worker for benchmarks: the esbuild bundle dist/worker/index.js
 * (built by scripts/build.mjs) in the workerd binary itself, from a generated workerd config
 * that mirrors wrangler.toml (compatibility date and flags, [vars], the Durable Object classes
 * on SQLite storage). The socket goes straight to the Worker: no wrangler dev proxy and no
 * Miniflare entry Worker in front, which would add a JavaScript hop to every request.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { wranglerSettings } from "../../scripts/wrangler-settings.mjs";
import { freePort } from "./ports.mjs";
import { sleep } from "./proc.mjs";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const BENCH_ADMIN_TOKEN = "bench-admin-token-0123456789abcdef";
export const BENCH_TOKEN_KEY = "bench-token-key-0123456789abcdef0123456789abcdef";

/** The workerd binary that miniflare and wrangler use (npm's `workerd` package). */
function workerdBinary() {
  const bin = join(root, "node_modules/workerd/bin/workerd");
  if (existsSync(bin)) return bin;
  return createRequire(join(root, "package.json")).resolve("workerd/bin/workerd");
}

const capnpString = (s) => JSON.stringify(String(s));

/** A workerd config (capnp text) serving dist/worker/index.js on `port`. */
function workerdConfig({ port, storageDir, settings, bindings, wrapped }) {
  const textBindings = Object.entries(bindings).map(([name, value]) => `(name = ${capnpString(name)}, text = ${capnpString(value)})`);
  const doBindings = settings.durableObjects.map((d) => `(name = ${capnpString(d.binding)}, durableObjectNamespace = ${capnpString(d.className)})`);
  const limiters = settings.ratelimits.map(
    (r) =>
      `(name = ${capnpString(r.name)}, wrapped = (moduleName = "peerdir-bench:ratelimit", innerBindings = [(name = "name", json = ${capnpString(JSON.stringify(r.name))}), (name = "limit", json = ${capnpString(r.limit)}), (name = "period", json = ${capnpString(r.period)})]))`,
  );
  const namespaces = settings.durableObjects.map((d) => `(className = ${capnpString(d.className)}, uniqueKey = ${capnpString(`peerdir-bench-${d.className}`)}, enableSql = true)`);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "peerdir", worker = .peerdir),
    (name = "do-storage", disk = (path = ${capnpString(storageDir)}, writable = true)),
  ],
  sockets = [(name = "http", address = ${capnpString(`127.0.0.1:${port}`)}, http = (), service = "peerdir")],
  extensions = [(modules = [(name = "peerdir-bench:ratelimit", esModule = embed "ratelimit.js", internal = true)])],
);
const peerdir :Workerd.Worker = (
  modules = [(name = "index.js", esModule = embed "index.js")${wrapped ? `, (name = "peerdir.js", esModule = embed "peerdir.js")` : ""}],
  compatibilityDate = ${capnpString(settings.compatibilityDate)},
  compatibilityFlags = [${settings.compatibilityFlags.map(capnpString).join(", ")}],
  bindings = [${[...textBindings, ...doBindings, ...limiters].join(", ")}],
  durableObjectNamespaces = [${namespaces.join(", ")}],
  durableObjectStorage = (localDisk = "do-storage"),
);
`;
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
  copyFileSync(join(root, "bench/lib/ratelimit-binding.js"), join(work, "ratelimit.js"));
  const configPath = join(work, "peerdir.capnp");
  writeFileSync(
    configPath,
    workerdConfig({
      port,
      storageDir,
      settings,
      bindings: { ...settings.vars, ...options.vars, ADMIN_TOKEN: BENCH_ADMIN_TOKEN, TOKEN_KEY: BENCH_TOKEN_KEY },
      wrapped: Boolean(options.wrap),
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

function adminClient(url) {
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
  const a = 10 + ((i >> 16) & 0xff),
    b = (i >> 8) & 0xff,
    c = i & 0xff;
  const base = `/ip4/10.${a}.${b}.${c}/tcp/5001`;
  return withPeerId ? `${base}/p2p/12D3KooWQYYD1DDK4HCYgXHiVaPLVBVpUMpZzDXjHZTJsU9rZPGR` : base;
}
