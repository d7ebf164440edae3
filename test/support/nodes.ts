/**
 * The Node.js installations on this machine that a user might run the project's commands with:
 * the one running the tests and every other major version on PATH (on CI, the system's Node 20
 * besides the launcher's Node 24). With a binDir first on PATH, `npm`, `npx` and `#!/usr/bin/env
 * node` scripts run under that Node.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";

export interface NodeInstall {
  version: string;
  binDir: string;
}

export function nodesHere(): NodeInstall[] {
  const dirs = [dirname(process.execPath), ...(process.env.PATH ?? "").split(delimiter)];
  const byMajor = new Map<string, NodeInstall>();
  for (const dir of dirs) {
    const node = join(dir, "node");
    if (!dir || !existsSync(node)) continue;
    const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
    const major = version.split(".")[0];
    if (major && !byMajor.has(major)) byMajor.set(major, { version, binDir: dir });
  }
  return [...byMajor.values()];
}

/** The oldest of nodesHere(): what the project promises to work on. */
export function oldestNode(): NodeInstall {
  return nodesHere().sort((a, b) => Number(a.version.slice(1).split(".")[0]) - Number(b.version.slice(1).split(".")[0]))[0];
}

/** An environment whose PATH runs `binDir`'s node first. */
export function envWithNode(binDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${binDir}${delimiter}${process.env.PATH ?? ""}`, npm_config_update_notifier: "false", ...extra };
}
