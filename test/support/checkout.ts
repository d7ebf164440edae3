/**
 * A scratch copy of the checkout for tests that run the project's own commands (`npm start`,
 * `npx peerdir-agent`, `npm run deploy`) exactly as a user does, without touching the real
 * checkout's .dev.vars, .tmp/ or .wrangler/ state. Files a command reads by its own location are
 * copied; sources, dependencies and built artefacts are linked.
 */
import { copyFileSync, cpSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

export function scratchCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), "peerdir-checkout-"));
  for (const file of ["package.json", "wrangler.toml", "README.md"]) copyFileSync(join(root, file), join(dir, file));
  cpSync(join(root, "scripts"), join(dir, "scripts"), { recursive: true });
  for (const linked of ["src", "migrations", "node_modules", "bin", "dist", "packages", "docs"]) symlinkSync(join(root, linked), join(dir, linked));
  return dir;
}
