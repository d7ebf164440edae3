/**
 * The release tarball for tests: packed by scripts/release.mjs from the dist/directory that the
 * global setup built, once per content. The cache key is a hash of what goes in (the staged
 * directory and the workerd binary's identity), so a test run after an unrelated change reuses
 * the tarball and a change to the launcher, configs or bundle packs a new one.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
// @ts-expect-error: a plain JS build script without declarations
import { packRelease, releaseName, workerdBinary } from "../../scripts/release.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/** The path of a release tarball of this checkout's current build. */
export function releaseTarball(): string {
  const hash = createHash("sha256");
  for (const file of files(join(root, "dist/directory"))) hash.update(file.slice(root.length)).update(readFileSync(file));
  const workerd = statSync(workerdBinary() as string);
  hash.update(`${workerd.size}:${workerd.mtimeMs}`).update(readFileSync(join(root, "scripts/release.mjs")));
  const dir = join(tmpdir(), "peerdir-release-cache", hash.digest("hex").slice(0, 16));
  const tarball = join(dir, `${releaseName() as string}.tar.gz`);
  if (existsSync(tarball)) return tarball;
  // Packed beside and renamed into place, so a run that dies half-way leaves no torn tarball.
  const partial = `${dir}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  packRelease(partial);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return tarball;
}
