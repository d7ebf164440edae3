/**
 * peerdir-agent's entry point: reads the configuration, restores the persisted state, starts
 * the local endpoints and the directory loop, and leaves the directory on SIGTERM/SIGINT.
 *
 * Start-up order matters: persisted peers are loaded and the local server is listening before
 * the first request to the directory, so a restarted agent serves its last-known-good peers at
 * once even when the directory is down.
 */
import { readFileSync } from "node:fs";
import { VERSION } from "../contract/version.js";
import { Agent } from "./agent.js";
import { trustCertificates } from "./builtins.js";
import { type AgentConfig, ConfigError, helpText, parseCommand } from "./config.js";
import { createLogger, type Logger } from "./log.js";
import { createLocalServer } from "./outputs/local-server.js";
import { renderMetrics } from "./outputs/metrics.js";
import { OnChangeRunner } from "./outputs/on-change.js";
import { PeerFiles } from "./outputs/persist.js";
import { PeerView } from "./peer-view.js";
import { AgentReachability } from "./reachability.js";
import { StateStore } from "./state-store.js";

function fail(message: string, code: number): never {
  process.stderr.write(`peerdir-agent: ${message}\n`);
  process.exit(code);
}

async function start(config: AgentConfig, version: string): Promise<void> {
  const log: Logger = createLogger({ format: config.logFormat, level: config.logLevel });
  if (config.caFile) {
    try {
      trustCertificates(readFileSync(config.caFile, "utf8"));
    } catch (err) {
      fail(`cannot use --ca-file ${config.caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
    }
  }
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

  // The agent is created below; a readiness change before then rides on the first registration anyway.
  let renewSoon = () => {};
  const reachability = new AgentReachability(
    { addrs: config.addrs, selfCheck: !config.noSelfCheck, probeInterval: config.probeInterval },
    {
      onReadyChange: (ready) => {
        log.info(
          ready ? "self-check: this node's address accepts connections; ready" : "self-check: nothing accepts connections on this node's address; registering as not ready",
          {
            addr: reachability.selfCheck.target ? `${reachability.selfCheck.target.host}:${reachability.selfCheck.target.port}` : null,
          },
        );
        renewSoon();
      },
      onProbeChange: () => view.refresh(),
    },
  );
  const view = new PeerView(config.node, config.labels.zone ?? null, (id) => reachability.result(id));
  const cached = await store.loadPeers();
  if (cached) {
    view.restore(cached);
    log.info("serving persisted peers until the directory confirms them", { peers: cached.peers.length, syncedAt: cached.syncedAt });
  }

  const onChange = config.onChange
    ? new OnChangeRunner(
        config.onChange,
        () => ({
          PEERDIR_PEERS_FILE: config.peersFile ?? store.peersPath,
          PEERDIR_PEERS_COUNT: String(view.peers.length),
          PEERDIR_PEERS_VERSION: String(view.version ?? ""),
        }),
        log,
      )
    : null;
  const files = new PeerFiles(view, store, config.peersFile, onChange, log);
  if (cached) files.restored();

  const agent = new Agent({
    config,
    store,
    log,
    credential,
    view,
    userAgent: `peerdir-agent/${version}`,
    reachability,
    onPeersChanged: () => {
      reachability.probes.setPeers(view.peers);
      files.changed();
    },
    onConfirmed: () => files.confirmed(),
  });
  renewSoon = () => agent.renewSoon();

  const server = createLocalServer({
    view,
    stale: () => agent.stale,
    transport: () => agent.scheduler.transport,
    metrics: () => renderMetrics({ ...agent.metrics(), onChangeRuns: onChange?.runs ?? { ok: 0, failed: 0 }, probes: reachability.probes.counts, ready: reachability.ready }),
  });
  await new Promise<void>((resolve) => {
    server.once("error", (err: NodeJS.ErrnoException) => fail(`cannot listen on ${config.listen.host}:${config.listen.port}: ${err.message} (set --listen)`, 1));
    server.listen(config.listen.port, config.listen.host, resolve);
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? `${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}` : String(address);
  log.info("peerdir-agent started", {
    version,
    directory: config.directory,
    cluster: config.cluster,
    node: config.node,
    listen: bound,
    stateDir: store.dir,
    transport: agent.scheduler.transport,
  });

  if (cached) reachability.probes.setPeers(view.peers);
  if (!(await reachability.start())) {
    log.warn("self-check: nothing accepts connections on this node's address; registering as not ready (peers get it after every ready node) until something does", {
      addr: `${reachability.selfCheck.target!.host}:${reachability.selfCheck.target!.port}`,
    });
  }
  const running = agent.run().catch((err: Error) => {
    log.error("internal error in the directory loop; exiting", { error: err.stack ?? err.message });
    process.exit(1);
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    agent.stop();
    reachability.stop();
    onChange?.stop();
    server.close();
    server.closeAllConnections();
    await running;
    await agent.leave();
    await files.flushed();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
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
