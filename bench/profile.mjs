/**
 * `node bench/profile.mjs [op] [seconds]` — a V8 CPU profile of the directory (workerd's
 * inspector) under the throughput benchmark's load for one op (renew, unchanged or
 * handout100; default renew) at 20 connections. Prints the top functions by self time and
 * writes bench/results/profile-<op>.cpuprofile (open it in Chrome DevTools).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { root, startDirectory } from "./lib/directory.mjs";
import { freePort } from "./lib/ports.mjs";
import { load } from "./lib/loadgen.mjs";
import { connectInspector } from "./lib/inspector.mjs";
import { setUpPeerdir } from "./throughput.mjs";

const op = process.argv[2] ?? "renew";
const seconds = Number(process.argv[3] ?? 5);
const inspectorPort = await freePort();
const dir = await startDirectory({ inspectorPort });
try {
  const peerdir = await setUpPeerdir(dir);
  const inspector = await connectInspector(inspectorPort);
  const { send } = inspector;
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 200 });
  await send("Profiler.start");
  const r = await load({ url: dir.url, connections: 20, seconds, request: peerdir.ops(20)[op] });
  const { result } = await send("Profiler.stop");
  inspector.close();
  writeFileSync(join(root, `bench/results/profile-${op}.cpuprofile`), JSON.stringify(result.profile));
  const p = result.profile;
  const dt = new Map();
  for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const self = new Map();
  let total = 0;
  for (const node of p.nodes) {
    const t = dt.get(node.id) ?? 0;
    total += t;
    const f = node.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + t);
  }
  console.log(`${op}: ${Math.round(r.opsPerSec)} ops/s under the profiler; top self time of the Worker isolate (${(total / 1e6).toFixed(2)} s sampled):`);
  for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${((100 * t) / total).toFixed(1).padStart(5)} %  ${k}`);
} finally {
  await dir.stop();
}
