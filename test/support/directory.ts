/**
 * Starts the real directory Worker for Node-side tests and benchmarks: the bundle that
 * scripts/build.mjs makes from src/worker/index.ts, in local workerd through miniflare, on 127.0.0.1.
 * Durable Object state persists under `persistDir`, so a stopped directory can be started again
 * on the same state (and, given `port`, at the same address).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { TEST_ADMIN_TOKEN, TEST_TOKEN_KEY } from "./constants.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface DirectoryOptions {
  persistDir?: string;
  port?: number;
  adminToken?: string;
  /** TOKEN_KEY (default TEST_TOKEN_KEY) and, during a rotation, TOKEN_KEY_PREVIOUS. */
  tokenKey?: string;
  previousTokenKey?: string;
  /** Overrides the failed-authentication limit per client IP of wrangler.toml. */
  authFailureLimit?: number;
  /** Overrides of wrangler.toml [vars], e.g. a looser rate limit for load tests. */
  vars?: Record<string, string>;
}

export interface RunningDirectory {
  url: string;
  port: number;
  adminToken: string;
  persistDir: string;
  stop(): Promise<void>;
}

/** The settings the Worker is deployed with, read from wrangler.toml so tests cannot drift. */
function wranglerSettings() {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? "";
  const varsBlock = /^\[vars\]\n([\s\S]*?)(?=^\[|$(?![\s\S]))/m.exec(toml)?.[1] ?? "";
  const vars: Record<string, string> = {};
  for (const m of varsBlock.matchAll(/^([A-Z_][A-Z0-9_]*)\s*=\s*"([^"]*)"/gm)) vars[m[1]] = m[2];
  if (!compatibilityDate) throw new Error("wrangler.toml has no compatibility_date");
  const durableObjects: Record<string, { className: string; useSQLite: true }> = {};
  for (const m of toml.matchAll(/^\[\[durable_objects\.bindings\]\]\s*name\s*=\s*"([^"]+)"\s*class_name\s*=\s*"([^"]+)"/gm)) {
    durableObjects[m[1]] = { className: m[2], useSQLite: true };
  }
  const ratelimits: Record<string, { namespace_id: string; simple: { limit: number; period: 10 | 60 } }> = {};
  for (const m of toml.matchAll(/^\[\[ratelimits\]\]\s*name\s*=\s*"([^"]+)"\s*namespace_id\s*=\s*"([^"]+)"\s*simple\s*=\s*\{\s*limit\s*=\s*(\d+),\s*period\s*=\s*(\d+)\s*\}/gm)) {
    ratelimits[m[1]] = { namespace_id: m[2], simple: { limit: Number(m[3]), period: Number(m[4]) as 10 | 60 } };
  }
  if (!ratelimits.AUTH_FAILURES) throw new Error("wrangler.toml has no AUTH_FAILURES rate limit");
  return { compatibilityDate, compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]), vars, durableObjects, ratelimits };
}

/**
 * workerd's output, except its NOSENTRY lines: warnings it marks as expected (an alarm handler
 * cancelled because a newer alarm was set), which would only clutter a passing run.
 */
function quietRuntime(stdout: Readable, stderr: Readable): void {
  stdout.pipe(process.stdout);
  createInterface({ input: stderr }).on("line", (line) => {
    if (!line.includes("NOSENTRY")) process.stderr.write(`${line}\n`);
  });
}

export async function startDirectory(options: DirectoryOptions = {}): Promise<RunningDirectory> {
  const persistDir = options.persistDir ?? mkdtempSync(join(tmpdir(), "peerdir-do-"));
  const adminToken = options.adminToken ?? TEST_ADMIN_TOKEN;
  const settings = wranglerSettings();
  if (options.authFailureLimit !== undefined) settings.ratelimits.AUTH_FAILURES.simple.limit = options.authFailureLimit;
  const tokenKeys = { TOKEN_KEY: options.tokenKey ?? TEST_TOKEN_KEY, ...(options.previousTokenKey ? { TOKEN_KEY_PREVIOUS: options.previousTokenKey } : {}) };
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(root, "dist/worker/index.js"),
    compatibilityDate: settings.compatibilityDate,
    compatibilityFlags: settings.compatibilityFlags,
    durableObjects: settings.durableObjects,
    durableObjectsPersist: persistDir,
    bindings: { ...settings.vars, ...options.vars, ADMIN_TOKEN: adminToken, ...tokenKeys },
    ratelimits: settings.ratelimits,
    host: "127.0.0.1",
    port: options.port ?? 0,
    handleRuntimeStdio: quietRuntime,
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return {
    url,
    port: Number(new URL(url).port),
    adminToken,
    persistDir,
    stop: () => mf.dispose(),
  };
}

export async function createCluster(url: string, adminToken: string, name: string): Promise<{ name: string; joinToken: string }> {
  const res = await fetch(`${url}/v1/admin/clusters`, {
    method: "POST",
    headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`creating cluster ${name}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as { name: string; joinToken: string };
}
