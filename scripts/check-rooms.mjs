#!/usr/bin/env node
// The import rule between the rooms of src/: each room imports only from the rooms listed for it,
// so the agent and the CLI stay free of the Worker's runtime and dependencies, and the cluster's
// state machine stays runtime-free. Run by `npm run lint`; test/unit/rooms.test.ts checks it too.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Which rooms each room may import from (its own always included). */
export const ALLOWED = {
  contract: [],
  cluster: ["contract"],
  worker: ["cluster", "contract"],
  agent: ["contract"],
  cli: ["contract"],
  // The operator console runs in the browser: the wire contract's types only.
  console: ["contract"],
};

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g;

/** The room of a path relative to src/ (its first segment), or null outside any room. */
function roomOf(srcRelative) {
  const [first, ...rest] = srcRelative.split("/");
  return rest.length > 0 && first in ALLOWED ? first : null;
}

/** The rule's violations in one file's text: `file imports spec (room → room)`. */
export function violationsIn(srcDir, file, text) {
  const from = roomOf(relative(srcDir, file));
  if (!from) return [];
  const found = [];
  for (const [, spec] of text.matchAll(SPECIFIER)) {
    if (!spec.startsWith(".")) continue;
    const target = relative(srcDir, resolve(dirname(file), spec));
    if (target.startsWith("..")) continue; // outside src/ (migrations/*.sql)
    const to = roomOf(target);
    if (to && to !== from && !ALLOWED[from].includes(to)) {
      found.push(`${relative(process.cwd(), file)} imports "${spec}": ${from}/ may import only from ${[from, ...ALLOWED[from]].join("/, ")}/`);
    }
  }
  return found;
}

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) yield path;
  }
}

/** Every violation under `srcDir`. */
export function checkRooms(srcDir) {
  return [...sources(srcDir)].flatMap((file) => violationsIn(srcDir, file, readFileSync(file, "utf8")));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const found = checkRooms(fileURLToPath(new URL("../src", import.meta.url)));
  for (const line of found) console.error(line);
  if (found.length > 0) process.exit(1);
}
