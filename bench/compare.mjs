#!/usr/bin/env node
/**
 * `node bench/compare.mjs --before <rev> [--after <rev>] --name <name> --title "<what changed>"`
 *
 * Before and after of a change, side by side in one run: both builds of the directory (each
 * from its own checkout: the git revision in a temporary worktree, or the working tree) run in
 * their own workerd at the same time, and the throughput benchmark's operations alternate
 * between them round by round (the order flips each round), so drift on a shared, noisy
 * machine hits both alike. Reports the median of the rounds and the after/before ratio, and
 * writes bench/results/compare-<name>.json, which docs/BENCHMARKS.md renders (bench/report.mjs).
 *
 * Options: --ops renew,unchanged,handout100  --rounds 5  --seconds 3  --connections 20
 *          --note "…" (what the numbers mean; shown under the table)
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { root, startDirectory } from "./lib/directory.mjs";
import { load } from "./lib/loadgen.mjs";
import { cpuSeconds, percentile, round } from "./lib/proc.mjs";
import { setUpPeerdir } from "./throughput.mjs";

const { values: opts } = parseArgs({
  options: {
    before: { type: "string" },
    after: { type: "string" },
    name: { type: "string" },
    title: { type: "string" },
    note: { type: "string" },
    ops: { type: "string", default: "renew,unchanged,handout100" },
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "3" },
    connections: { type: "string", default: "20" },
  },
});
if (!opts.before || !opts.name || !opts.title) {
  console.error('usage: node bench/compare.mjs --before <rev> [--after <rev>] --name <name> --title "<what changed>" [--ops …] [--rounds N] [--seconds S] [--connections C]');
  process.exit(2);
}
const ops = opts.ops.split(",");
const rounds = Number(opts.rounds);
const seconds = Number(opts.seconds);
const connections = Number(opts.connections);
const git = (...args) => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();
const log = (line) => process.stderr.write(`${line}\n`);

/** A checkout of `rev` with this checkout's node_modules, built; or the working tree. */
function checkout(rev) {
  if (!rev) {
    execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { cwd: root, stdio: "inherit" });
    const dirty = git("status", "--porcelain").length > 0;
    return { tree: root, label: `${git("rev-parse", "--short", "HEAD")}${dirty ? " + working tree" : ""}`, remove() {} };
  }
  const sha = git("rev-parse", "--short", `${rev}^{commit}`);
  const tree = mkdtempSync(join(tmpdir(), `peerdir-compare-${sha}-`));
  git("worktree", "add", "--detach", "--force", tree, sha);
  symlinkSync(join(root, "node_modules"), join(tree, "node_modules"));
  execFileSync(process.execPath, [join(tree, "scripts/build.mjs")], { cwd: tree, stdio: "inherit" });
  return {
    tree,
    label: sha,
    remove() {
      git("worktree", "remove", "--force", tree);
      if (existsSync(tree)) rmSync(tree, { recursive: true, force: true });
    },
  };
}

const median = (xs) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

const sides = [
  { key: "before", ...checkout(opts.before) },
  { key: "after", ...checkout(opts.after) },
];
try {
  for (const side of sides) {
    side.dir = await startDirectory({ tree: side.tree });
    side.peerdir = await setUpPeerdir(side.dir);
    side.runs = Object.fromEntries(ops.map((op) => [op, []]));
  }
  for (let round = 0; round < rounds; round++) {
    for (const op of ops) {
      for (const side of round % 2 ? [...sides].reverse() : sides) {
        const cpu0 = cpuSeconds(side.dir.pid);
        const r = await load({ url: side.dir.url, connections, seconds, request: side.peerdir.ops(connections)[op] });
        const cpuMsPerOp = ((cpuSeconds(side.dir.pid) - cpu0) * 1000) / Math.max(1, r.ops);
        if (r.errors) throw new Error(`${side.key} ${op}: ${r.errors} errors, first: ${r.unexpected}`);
        side.runs[op].push({ opsPerSec: r.opsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, cpuMsPerOp });
        log(`compare: round ${round + 1}/${rounds} ${op.padEnd(10)} ${side.key.padEnd(6)} ${Math.round(r.opsPerSec)} ops/s, CPU ${cpuMsPerOp.toFixed(3)} ms/op`);
      }
    }
  }
} finally {
  for (const side of sides) {
    await side.dir?.stop();
    side.remove();
  }
}

const summary = (runs) => ({
  opsPerSec: round(median(runs.map((r) => r.opsPerSec)), 0),
  p50Ms: round(median(runs.map((r) => r.p50Ms)), 2),
  p99Ms: round(median(runs.map((r) => r.p99Ms)), 2),
  cpuMsPerOp: round(median(runs.map((r) => r.cpuMsPerOp)), 3),
});
const [before, after] = sides;
const rows = ops.map((op) => {
  const b = summary(before.runs[op]);
  const a = summary(after.runs[op]);
  return { op, before: b, after: a, ratio: round(a.opsPerSec / b.opsPerSec, 2) };
});
const result = {
  name: opts.name,
  title: opts.title,
  ...(opts.note ? { note: opts.note } : {}),
  at: new Date().toISOString(),
  before: before.label,
  after: after.label,
  rounds,
  secondsPerRun: seconds,
  connections,
  rows,
};
writeFileSync(join(root, `bench/results/compare-${opts.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
for (const r of rows) {
  console.log(
    `${r.op.padEnd(10)} ${before.label}: ${r.before.opsPerSec} ops/s (CPU ${r.before.cpuMsPerOp} ms/op)  ${after.label}: ${r.after.opsPerSec} ops/s (CPU ${r.after.cpuMsPerOp} ms/op)  ×${r.ratio}`,
  );
}
