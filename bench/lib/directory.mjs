/**
 * Starts the real directory Worker for benchmarks: the esbuild bundle dist/worker/index.js
 * (built by scripts/build.mjs) in workerd through Miniflare, served by workerd directly on
 * 127.0.0.1 (no wrangler dev proxy). Same settings as test/support/directory.ts, read from
 * wrangler.toml.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const BENCH_ADMIN_TOKEN = "bench-admin-token-0123456789abcdef";

function wranglerSettings() {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? "";
  const varsBlock = /^\[vars\]\n([\s\S]*?)(?=^\[|$(?![\s\S]))/m.exec(toml)?.[1] ?? "";
  const vars = {};
  for (const m of varsBlock.matchAll(/^([A-Z_][A-Z0-9_]*)\s*=\s*"([^"]*)"/gm)) vars[m[1]] = m[2];
  if (!compatibilityDate) throw new Error("wrangler.toml has no compatibility_date");
  const durableObjects = {};
  for (const m of toml.matchAll(/^\[\[durable_objects\.bindings\]\]\s*name\s*=\s*"([^"]+)"\s*class_name\s*=\s*"([^"]+)"/gm)) {
    durableObjects[m[1]] = { className: m[2], useSQLite: true };
  }
  return { compatibilityDate, compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]), vars, durableObjects };
}

/** The pids of this process's workerd children (Miniflare spawns one). */
export function workerdPids() {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      if (ppid === process.pid && comm.startsWith("workerd")) pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

export async function startDirectory(options = {}) {
  // options.inspectorPort: expose the V8 inspector (bench/profile.mjs takes CPU profiles through it).
  // options.vars: overrides of wrangler.toml [vars].
  const dist = join(root, "dist/worker/index.js");
  if (!existsSync(dist)) throw new Error("dist/worker/index.js is missing: run `node scripts/build.mjs` first");
  const persistDir = mkdtempSync(join(tmpdir(), "peerdir-bench-do-"));
  const settings = wranglerSettings();
  const before = new Set(workerdPids());
  const mf = new Miniflare({
    modules: true,
    scriptPath: dist,
    compatibilityDate: settings.compatibilityDate,
    compatibilityFlags: settings.compatibilityFlags,
    durableObjects: settings.durableObjects,
    durableObjectsPersist: persistDir,
    bindings: { ...settings.vars, ...options.vars, ADMIN_TOKEN: BENCH_ADMIN_TOKEN },
    host: "127.0.0.1",
    port: 0,
    ...(options.inspectorPort ? { inspectorPort: options.inspectorPort } : {}),
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const pid = workerdPids().find((p) => !before.has(p)) ?? null;
  const admin = adminClient(url);
  return {
    url,
    pid,
    admin,
    async stop() {
      await mf.dispose();
      rmSync(persistDir, { recursive: true, force: true });
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
  const a = 10 + ((i >> 16) & 0xff), b = (i >> 8) & 0xff, c = i & 0xff;
  const base = `/ip4/10.${a}.${b}.${c}/tcp/5001`;
  return withPeerId ? `${base}/p2p/12D3KooWQYYD1DDK4HCYgXHiVaPLVBVpUMpZzDXjHZTJsU9rZPGR` : base;
}
