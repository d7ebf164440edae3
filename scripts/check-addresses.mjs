#!/usr/bin/env node
// Loopback only: agents dial what they are handed (their self-check, their peer probes), so
// everything the project runs on a developer's machine must advertise 127.0.0.0/8 addresses.
// Run by `npm run lint`; test/unit/check-addresses.test.ts checks the rule itself.
// - Everywhere named in PLACES (the end-to-end tests, the benchmarks, the scripts, the README and
//   the walkthrough docs): no /ip4/ address in a private range (10/8, 172.16/12, 192.168/16).
// - In the code that runs there (RUN_LOCALLY): no /ip4/ address outside 127.0.0.0/8 at all, and
//   no /dns4/, /dns6/ or /dns/ name but localhost, so no test or bench reaches beyond the machine.
// Pure data tests in test/worker and test/unit run no agent and may use any address.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const PLACES = ["test/e2e", "bench", "scripts", "README.md", "docs/agent.md", "docs/cli.md", "docs/api.md", "docs/deploy.md"];
/** The places whose files run on this machine (tests, benchmarks, scripts): loopback only. */
export const RUN_LOCALLY = ["test/e2e", "bench", "scripts"];
/** Recorded results, not advertised addresses. */
const SKIP = ["bench/results"];

const PRIVATE = /\/ip4\/(?:10\.|172\.(?:1[6-9]|2\d|3[01])\.|192\.168\.)[\d.${}a-z +()>&]*/g;
const IP4_LITERAL = /\/ip4\/(\d{1,3})\.[\d.${}a-z +()>&]*/g;
const DNS_NAME = /\/dns[46]?\/([A-Za-z0-9.-]+)/g;

/** The rule's violations in one file's text: `file:line: address (why)`. */
export function addressViolations(file, text, runsLocally) {
  const found = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    const at = `${file}:${i + 1}`;
    for (const [match] of line.matchAll(PRIVATE)) found.push(`${at}: ${match} is a private-range address; advertise 127.0.0.0/8 here`);
    if (!runsLocally) return;
    for (const [match, first] of line.matchAll(IP4_LITERAL)) {
      if (first !== "127" && !PRIVATE.test(match)) found.push(`${at}: ${match} is outside 127.0.0.0/8; advertise loopback addresses only here`);
      PRIVATE.lastIndex = 0;
    }
    for (const [match, name] of line.matchAll(DNS_NAME)) if (name !== "localhost") found.push(`${at}: ${match} names another host; use /dns4/localhost here`);
  });
  return found;
}

function* files(path) {
  if (SKIP.some((skip) => path === skip || path.startsWith(`${skip}/`))) return;
  if (!statSync(path).isDirectory()) {
    yield path;
    return;
  }
  for (const entry of readdirSync(path)) yield* files(join(path, entry));
}

/** Every violation in the tree under `root`. */
export function checkTree(root) {
  const found = [];
  for (const place of PLACES) {
    const runsLocally = RUN_LOCALLY.some((dir) => place === dir);
    for (const file of files(join(root, place))) {
      if (!/\.(ts|mts|js|mjs|md|sh|json|yaml)$/.test(file)) continue;
      found.push(...addressViolations(relative(root, file), readFileSync(file, "utf8"), runsLocally));
    }
  }
  return found;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const found = checkTree(fileURLToPath(new URL("..", import.meta.url)));
  for (const line of found) console.error(line);
  if (found.length) {
    console.error(`check-addresses: ${found.length} address(es) would make agents dial beyond this machine`);
    process.exit(1);
  }
}
