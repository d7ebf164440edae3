/**
 * peerdir-agent's entry point: reads the configuration, restores the persisted state, starts
 * the local endpoints and the directory loop, and leaves the directory on SIGTERM/SIGINT.
 *
 * Start-up order matters: persisted peers are loaded and the local server is listening before
 * the first request to the directory, so a restarted agent serves its last-known-good peers at
 * once even when the directory is down.
 */
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { VERSION } from "../contract/version.js";
import { Agent } from "./agent.js";
import { trustCertificates } from "./builtins.js";
import { type AgentConfig, helpText, parseCommand } from "./config.js";
import { ConfigError } from "./config-sources.js";
import { createLogger, type Logger } from "./log.js";
import { ConsumerLoops } from "./outputs/consumer-loops.js";
import { createLocalServer } from "./outputs/local-server.js";
import { renderMetrics } from "./outputs/metrics.js";
import { OnChangeRunner } from "./outputs/on-change.js";
import { PeerFiles } from "./outputs/persist.js";
import { PeerView } from "./peer-view.js";
import { AgentReachability } from "./reachability.js";
import { withConsumerReports } from "./renewal-extras.js";
import { StateStore } from "./state-store.js";

function fail(message: string, code: number): never {
  process.stderr.write(`peerdir-agent: ${message}\n`);
  process.exit(code);
}

/** Adds --ca-file's certificates to those the agent trusts for https: and wss:, or exits. */
function trustCaFile(config: AgentConfig): void {
  if (!config.caFile) return;
  try {
    trustCertificates(readFileSync(config.caFile, "utf8"));
  } catch (err) {
    fail(`cannot use --ca-file ${config.caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
}

/** The state dir ready, and the node credential it holds (null: register with the join token). */
async function openState(config: AgentConfig, log: Logger): Promise<{ store: StateStore; credential: string | null }> {
  const store = new StateStore(config.stateDir, config.cluster, config.node);
  try {
    await store.init();
  } catch (err) {
    fail(`cannot create the state dir ${store.dir}: ${(err as Error).message} (set --state-dir)`, 1);
  }
  let credential: string | null = null;
  try {
    credential = await store.loadCredential();
  } catch (err) {
    log.warn("ignoring an unreadable credential file; registering with the join token", { path: store.credentialPath, error: (err as Error).message });
  }
  if (!credential && !config.joinTokenFile) {
    fail(`no node credential in ${store.dir} and no --join-token-file: the first registration needs the cluster's join token`, 2);
  }
  return { store, credential };
}

/** The self-check and the probes; their changes reach the agent and the view through late-bound hooks. */
function createReachability(config: AgentConfig, log: Logger, hooks: { renewSoon: () => void; refreshView: () => void }): AgentReachability {
  const reachability = new AgentReachability(
    { addrs: config.addrs, selfCheck: !config.noSelfCheck, probeInterval: config.probeInterval, probing: !config.noProbes, probeRanges: config.probeRanges },
    {
      onReadyChange: (ready) => {
        log.info(
          ready ? "self-check: this node's address accepts connections; ready" : "self-check: nothing accepts connections on this node's address; registering as not ready",
          { addr: selfCheckAddr(reachability) },
        );
        hooks.renewSoon();
      },
      onProbeChange: () => hooks.refreshView(),
      onClusterPolicy: (policy) =>
        log.info(
          !policy
            ? "probes: the cluster no longer restricts them"
            : policy.probing !== "on"
              ? "probes: off, by the cluster's settings"
              : "probes: only addresses in the cluster's ranges",
          { ranges: Array.isArray(policy?.ranges) ? policy.ranges.join(",") : null },
        ),
    },
  );
  return reachability;
}

const selfCheckAddr = (reachability: AgentReachability) => {
  const target = reachability.selfCheck.target;
  return target ? `${target.host}:${target.port}` : null;
};

/** Serves the peers persisted by the last run until the directory confirms them; false when there are none. */
async function restorePeers(store: StateStore, view: PeerView, log: Logger): Promise<boolean> {
  const cached = await store.loadPeers();
  if (!cached) return false;
  view.restore(cached);
  log.info("serving persisted peers until the directory confirms them", { peers: cached.peers.length, syncedAt: cached.syncedAt });
  return true;
}

/** The --on-change command, with the environment it runs in; null without one. */
function createOnChange(config: AgentConfig, store: StateStore, view: PeerView, log: Logger): OnChangeRunner | null {
  if (!config.onChange) return null;
  const env = () => ({
    PEERDIR_PEERS_FILE: config.peersFile ?? store.peersPath,
    PEERDIR_PEERS_COUNT: String(view.peers.length),
    PEERDIR_PEERS_VERSION: String(view.version ?? ""),
  });
  return new OnChangeRunner(config.onChange, env, log);
}

/** Listens on --listen (exiting when it cannot) and returns the bound address as `host:port`. */
async function listen(server: Server, config: AgentConfig): Promise<string> {
  await new Promise<void>((resolve) => {
    server.once("error", (err: NodeJS.ErrnoException) => fail(`cannot listen on ${config.listen.host}:${config.listen.port}: ${err.message} (set --listen)`, 1));
    server.listen(config.listen.port, config.listen.host, resolve);
  });
  const address = server.address();
  return typeof address === "object" && address ? `${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}` : String(address);
}

/** On SIGTERM or SIGINT: stop every loop, leave the directory, flush the peer files, exit. */
function stopOnSignals(
  log: Logger,
  parts: { agent: Agent; reachability: AgentReachability; consumers: ConsumerLoops; onChange: OnChangeRunner | null; server: Server; running: Promise<void>; files: PeerFiles },
): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    parts.agent.stop();
    parts.reachability.stop();
    parts.consumers.stop();
    parts.onChange?.stop();
    parts.server.close();
    parts.server.closeAllConnections();
    await parts.running;
    await parts.agent.leave();
    await parts.files.flushed();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

async function start(config: AgentConfig, version: string): Promise<void> {
  const log: Logger = createLogger({ format: config.logFormat, level: config.logLevel });
  trustCaFile(config);
  const { store, credential } = await openState(config, log);

  // The agent and the view are created below; a readiness change before then rides on the first registration anyway.
  const hooks = { renewSoon: () => {}, refreshView: () => {} };
  const reachability = createReachability(config, log, hooks);
  // A loop starting or ending goes to the directory at once, as a readiness change does.
  const consumers = new ConsumerLoops({ threshold: config.consumerLoopThreshold, log, onChange: () => hooks.renewSoon() });
  const view = new PeerView(config.node, config.labels.zone ?? null, (id) => reachability.result(id));
  hooks.refreshView = () => view.refresh();
  const restored = await restorePeers(store, view, log);
  const onChange = createOnChange(config, store, view, log);
  const files = new PeerFiles(view, store, config.peersFile, onChange, log);
  if (restored) files.restored();

  const agent = new Agent({
    config,
    store,
    log,
    credential,
    view,
    userAgent: `peerdir-agent/${version}`,
    reachability: withConsumerReports(reachability, consumers),
    onPeersChanged: () => {
      reachability.probes.setPeers(view.peers);
      files.changed();
    },
    onConfirmed: () => files.confirmed(),
  });
  hooks.renewSoon = () => agent.renewSoon();

  const server = createLocalServer({
    view,
    stale: () => agent.stale,
    transport: () => agent.scheduler.transport,
    metrics: () =>
      renderMetrics({
        ...agent.metrics(),
        onChangeRuns: onChange?.runs ?? { ok: 0, failed: 0 },
        probes: reachability.probes.counts,
        ready: reachability.ready,
        consumers: { counts: consumers.counts, looping: consumers.looping },
      }),
    consumers,
  });
  const bound = await listen(server, config);
  log.info("peerdir-agent started", {
    version,
    directory: config.directory,
    cluster: config.cluster,
    node: config.node,
    listen: bound,
    stateDir: store.dir,
    transport: agent.scheduler.transport,
  });

  if (restored) reachability.probes.setPeers(view.peers);
  if (!(await reachability.start())) {
    log.warn("self-check: nothing accepts connections on this node's address; registering as not ready (peers get it after every ready node) until something does", {
      addr: selfCheckAddr(reachability),
    });
  }
  const running = agent.run().catch((err: Error) => {
    log.error("internal error in the directory loop; exiting", { error: err.stack ?? err.message });
    process.exit(1);
  });
  stopOnSignals(log, { agent, reachability, consumers, onChange, server, running, files });
}

export async function main(argv: string[]): Promise<void> {
  let parsed: ReturnType<typeof parseCommand>;
  try {
    parsed = parseCommand(argv);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
  if (parsed.kind === "help") {
    process.stdout.write(helpText());
    return;
  }
  if (parsed.kind === "version") {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  await start(parsed.config, VERSION);
}

await main(process.argv.slice(2));
