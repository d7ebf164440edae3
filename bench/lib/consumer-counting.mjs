/**
 * What counting one local consumer's request costs the agent (consumer-loop detection,
 * docs/agent.md#consumer-loops): the agent's own ConsumerLoops, bundled from src/ with esbuild,
 * called in a tight loop with the real clock, in the three states it can be in: detection on and
 * no loop (the steady state), a loop in progress, and detection off. Nanoseconds per call,
 * the median of several rounds, loop overhead included (so it errs high).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { root } from "./directory.mjs";
import { round } from "./proc.mjs";

const CALLS = 2_000_000;
const ROUNDS = 7;

async function loadConsumerLoops() {
  const out = await build({
    entryPoints: [join(root, "src/agent/outputs/consumer-loops.ts")],
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    write: false,
  });
  const dir = mkdtempSync(join(tmpdir(), "peerdir-bench-counting-"));
  const file = join(dir, "consumer-loops.mjs");
  writeFileSync(file, out.outputFiles[0].text);
  try {
    return (await import(pathToFileURL(file).href)).ConsumerLoops;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function nsPerCall(loops, index) {
  const samples = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) loops.count(index);
    samples.push(Number(process.hrtime.bigint() - t) / CALLS);
  }
  return samples.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
}

export async function measureConsumerCounting() {
  const ConsumerLoops = await loadConsumerLoops();
  const index = ConsumerLoops.indexOf("/id");
  const make = (threshold) => new ConsumerLoops({ threshold, log: quiet, onChange() {} });
  // Steady state: detection on, never crossing (the window would need more than this many).
  const steady = make(Number.MAX_SAFE_INTEGER);
  const steadyNs = nsPerCall(steady, index);
  // A loop in progress: the default threshold, crossed on the 61st call.
  const looping = make(60);
  const loopingNs = nsPerCall(looping, index);
  if (!looping.looping) throw new Error("the looping case did not loop");
  looping.stop();
  const off = make(0);
  const offNs = nsPerCall(off, index);
  return {
    nsPerRequest: round(Math.max(steadyNs, loopingNs), 1),
    steadyNs: round(steadyNs, 1),
    loopingNs: round(loopingNs, 1),
    offNs: round(offNs, 1),
    calls: CALLS,
    rounds: ROUNDS,
    node: process.version,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await measureConsumerCounting(), null, 2));
}
