/**
 * One node of the k3s ring models (bench/ring.mjs starts one process per node, on 127.0.0.1).
 *
 * Each node serves GET /v1-k3s/p2p and runs an embedded spegel-like client that calls the
 * bootstrapper on every readiness check. Its `--server` upstream is the next node of the ring.
 *
 * --mode before  k3s before v1.32.4: the chaining bootstrapper calls every bootstrapper and
 *                merges their results: server (peers from the node list), agent (an HTTP GET of
 *                /v1-k3s/p2p on the --server upstream) and self. The handler runs the same chain,
 *                so each request makes a nested request to the next server; depth is bounded only
 *                by the request time-out of the readiness check that started the chain (the Go
 *                request context is cancelled down the chain when the client goes away).
 * --mode after   k3s v1.32.4: the first bootstrapper that returns peers wins; the server
 *                bootstrapper answers from the local (informer) cache; at most 20 peer-list
 *                requests in flight (beyond → 429).
 *
 * A safety fuse (not in k3s) keeps the machine usable: a node with more than --fuse requests in
 * flight answers 503 at once; how often it tripped is reported.
 *
 * Prints one JSON line with its counters for the window, then exits.
 */
import http from "node:http";
import { parseArgs } from "node:util";

const { values: a } = parseArgs({
  options: {
    mode: { type: "string" },
    index: { type: "string" },
    ports: { type: "string" },
    "start-at": { type: "string" },
    seconds: { type: "string" },
    "ready-interval": { type: "string", default: "1" },
    "ready-timeout": { type: "string", default: "1" },
    fuse: { type: "string", default: "400" },
  },
});
const mode = a.mode;
const index = Number(a.index);
const ports = a.ports.split(",").map(Number);
const n = ports.length;
const port = ports[index];
const upstream = ports[(index + 1) % n];
const startAt = Number(a["start-at"]);
const endAt = startAt + Number(a.seconds) * 1000;
const readyInterval = Number(a["ready-interval"]) * 1000;
const readyTimeout = Number(a["ready-timeout"]) * 1000;
const fuse = Number(a.fuse);
const MAX_IN_FLIGHT = 20; // k3s maxNonMutatingPeerInfoRequests

const peerId = (i) => `QmNode${String(i).padStart(4, "0")}YhKqgZLrFbduFUSvuWJbDCZ1TbSU8ZMTDF`;
const addrOf = (i) => `/ip4/127.0.0.1/tcp/${20000 + i}/p2p/${peerId(i)}`;
/** The node list as the server sees it (informer cache after the fix; a live list before it). */
const others = ports
  .map((_, i) => i)
  .filter((i) => i !== index)
  .map(addrOf);
const self = addrOf(index);

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const log = process.stderr; // the debug log ("Serving p2p peer addrs"); the parent counts the lines

const c = { handled: 0, readinessChecks: 0, outbound: 0, logLines: 0, fuseTrips: 0, rejected429: 0, errors: 0 };
const inWindow = () => {
  const t = Date.now();
  return t >= startAt && t < endAt;
};
const count = (k) => {
  if (inWindow()) c[k]++;
};
let inFlight = 0;

function logLine(line) {
  log.write(`${new Date().toISOString()} debug ${line}\n`);
  count("logLines");
}

/** agentBootstrapper.Get: GET /v1-k3s/p2p on the --server upstream, under the caller's context. */
function agentBootstrapper(signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error("context canceled"));
    count("outbound");
    const req = http.request({ agent, host: "127.0.0.1", port: upstream, path: "/v1-k3s/p2p", headers: { Accept: "application/json" }, signal }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`upstream ${res.statusCode}`));
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(err);
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** The bootstrapper chain. */
async function get(signal) {
  if (mode === "after") {
    // First bootstrapper with peers wins; the server bootstrapper reads the local cache.
    if (others.length) return others;
    return [self];
  }
  // Before the fix: every bootstrapper, results merged, errors collected.
  const addrs = [...others]; // serverBootstrapper (a live node list)
  try {
    addrs.push(...(await agentBootstrapper(signal)));
  } catch {
    count("errors");
  }
  addrs.push(self); // selfBootstrapper
  return [...new Set(addrs)];
}

const server = http.createServer(async (req, res) => {
  if (req.url !== "/v1-k3s/p2p") {
    res.writeHead(404).end();
    return;
  }
  count("handled");
  if (inFlight >= (mode === "after" ? MAX_IN_FLIGHT : fuse)) {
    if (mode === "after") count("rejected429");
    else count("fuseTrips");
    res.writeHead(mode === "after" ? 429 : 503).end();
    return;
  }
  inFlight++;
  const ctl = new AbortController();
  const onClose = () => ctl.abort();
  res.on("close", onClose);
  try {
    const addrs = await get(ctl.signal);
    logLine(`Serving p2p peer addrs ${JSON.stringify(addrs.slice(0, 3))}… (${addrs.length}) to client at ${req.socket.remoteAddress}:${req.socket.remotePort}`);
    if (!res.destroyed) {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(addrs));
    }
  } finally {
    inFlight--;
    res.off("close", onClose);
  }
});
server.keepAliveTimeout = 5000;

/** The embedded spegel-like client: P2PRouter.Ready() calls bootstrapper.Get on every check. */
async function readinessLoop() {
  while (Date.now() < endAt) {
    const next = Date.now() + readyInterval;
    count("readinessChecks");
    try {
      await get(AbortSignal.timeout(readyTimeout));
    } catch {}
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
}

server.listen(port, "127.0.0.1", async () => {
  process.send?.({ listening: true });
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  const cpu0 = process.cpuUsage();
  // Stagger the nodes' readiness checks over one interval, as independent nodes would be.
  setTimeout(() => void readinessLoop(), (index * readyInterval) / n);
  await new Promise((r) => setTimeout(r, Math.max(0, endAt - Date.now())));
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${JSON.stringify({ index, ...c, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`, () => process.exit(0));
});
