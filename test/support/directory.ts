/**
 * Starts the real directory Worker for Node-side tests and benchmarks: the bundle that
 * scripts/build.mjs makes from src/worker/index.ts, in local workerd through miniflare, on 127.0.0.1.
 * Durable Object state persists under `persistDir`, so a stopped directory can be started again
 * on the same state (and, given `port`, at the same address).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { wranglerSettings } from "../../scripts/wrangler-settings.mjs";
import { TEST_ADMIN_TOKEN, TEST_TOKEN_KEY } from "./constants.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const WORKER_NAME = "peerdir";
/** The cluster object's class (wrangler.toml's binding CLUSTER). */
const DIRECTORY_CLASS = "ClusterDirectory";

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
  /**
   * Makes a cluster's object lose its memory the way hibernation does: workerd evicts it and
   * keeps its hibernatable sockets open, so the next event starts a fresh instance from storage
   * (what a cluster quiet for a minute or so meets in production).
   */
  hibernate(cluster: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * workerd's output, except its NOSENTRY lines: warnings it marks as expected (an alarm handler
 * cancelled because a newer alarm was set), which would only clutter a passing run.
 */
function quietRuntime(log: { level: string; message: string }): void {
  if (!log.message.includes("NOSENTRY")) (log.level === "error" || log.level === "warn" ? process.stderr : process.stdout).write(`${log.message}\n`);
}

export async function startDirectory(options: DirectoryOptions = {}): Promise<RunningDirectory> {
  const persistDir = options.persistDir ?? mkdtempSync(join(tmpdir(), "peerdir-do-"));
  const adminToken = options.adminToken ?? TEST_ADMIN_TOKEN;
  const settings = wranglerSettings(root);
  const ratelimits = Object.fromEntries(settings.ratelimits.map((r) => [r.name, { namespace_id: r.namespaceId, simple: { limit: r.limit, period: r.period as 10 | 60 } }]));
  if (!ratelimits.AUTH_FAILURES) throw new Error("wrangler.toml has no AUTH_FAILURES rate limit");
  if (options.authFailureLimit !== undefined) ratelimits.AUTH_FAILURES.simple.limit = options.authFailureLimit;
  const tokenKeys = { TOKEN_KEY: options.tokenKey ?? TEST_TOKEN_KEY, ...(options.previousTokenKey ? { TOKEN_KEY_PREVIOUS: options.previousTokenKey } : {}) };
  // Miniflare 5 (the one wrangler runs) still takes the familiar single-Worker options through this converter.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      name: WORKER_NAME,
      modules: true,
      scriptPath: join(root, "dist/worker/index.js"),
      compatibilityDate: settings.compatibilityDate,
      compatibilityFlags: settings.compatibilityFlags,
      durableObjects: Object.fromEntries(settings.durableObjects.map((d) => [d.binding, { className: d.className, useSQLite: true }])),
      resourcePersistencePath: persistDir,
      bindings: { ...settings.vars, ...options.vars, ADMIN_TOKEN: adminToken, ...tokenKeys },
      ratelimits,
      host: "127.0.0.1",
      port: options.port ?? 0,
      handleStructuredLogs: quietRuntime,
    }),
  );
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return {
    url,
    port: Number(new URL(url).port),
    adminToken,
    persistDir,
    hibernate: (cluster) => mf.unsafeEvictDurableObject(WORKER_NAME, DIRECTORY_CLASS, { name: cluster, webSockets: "hibernate" }),
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
