/**
 * Bundles a few of the project's TypeScript modules into one ES module with esbuild and imports
 * it, so a benchmark runs the same agent code the tests and the package run (no build step of its own).
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { root } from "./directory.mjs";

/** `exports`: lines such as `export { Agent } from "./src/agent/agent.ts";`, resolved from the checkout's root. */
export async function importSources(dir, name, exports) {
  const outfile = join(dir, `${name}.mjs`);
  await build({
    absWorkingDir: root,
    stdin: { contents: exports.join("\n"), resolveDir: root, loader: "ts" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "warning",
    define: { __PEERDIR_VERSION__: '"bench"' },
  });
  return import(pathToFileURL(outfile).href);
}
