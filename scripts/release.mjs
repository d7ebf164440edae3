#!/usr/bin/env node
// `npm run release`: the self-hosted directory as one tarball,
// release/peerdir-directory-<version>-<os>-<arch>.tar.gz, that runs on a host with a POSIX shell
// and coreutils only: the launcher, the Worker bundle, the in-process limiter, the workerd
// configs (scripts/directory/config.mjs, staged by scripts/build.mjs into dist/directory) and the
// workerd binary of this checkout's node_modules, stripped of its debug symbols when `strip` is
// available (a third of its size; the runtime needs none of them).
// Prints the tarball's path and its compressed and unpacked sizes.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/**
 * The native workerd npm installed for this platform, as the `workerd` package names it (its
 * platform package's binary; the package's own `bin/workerd` is a Node.js shim until its install
 * script, which the project does not run, replaces it).
 */
export function workerdBinary(from = root) {
  return createRequire(join(from, "package.json"))("workerd").default;
}

/** The tarball's name for this checkout's version on this platform. */
export function releaseName() {
  return `peerdir-directory-${version}-${process.platform}-${process.arch}`;
}

/**
 * Packs dist/directory (scripts/build.mjs must have run) and workerd into `out`/<name>.tar.gz.
 * Returns the tarball's path, its size, the unpacked size, and whether workerd was stripped.
 */
export function packRelease(out = join(root, "release")) {
  const name = releaseName();
  const stage = join(out, name);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  cpSync(join(root, "dist/directory"), stage, { recursive: true });
  mkdirSync(join(stage, "libexec"));
  const workerd = join(stage, "libexec/workerd");
  const stripped = spawnSync("strip", ["-o", workerd, workerdBinary()], { stdio: "ignore" }).status === 0;
  if (!stripped) copyFileSync(workerdBinary(), workerd);
  chmodSync(workerd, 0o755);
  for (const doc of ["LICENSE", "README.md"]) {
    try {
      copyFileSync(join(root, doc), join(stage, doc));
    } catch {}
  }
  const tarball = join(out, `${name}.tar.gz`);
  execFileSync("tar", ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", "-czf", tarball, "-C", out, name]);
  const unpacked = Number(execFileSync("du", ["-sb", stage], { encoding: "utf8" }).split("\t")[0]);
  rmSync(stage, { recursive: true, force: true });
  return { tarball, bytes: statSync(tarball).size, unpacked, stripped };
}

function main() {
  if (!process.argv.includes("--no-build")) execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { stdio: "inherit" });
  const { tarball, bytes, unpacked, stripped } = packRelease();
  const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  console.log(`release: ${tarball}: ${mib(bytes)} (${mib(unpacked)} unpacked${stripped ? "" : "; workerd not stripped: no `strip` on PATH"})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main();
