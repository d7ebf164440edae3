/**
 * One agent, wired: the peer view, the shared failure policy, the lease, the sync state and the
 * scheduler, plus what /metrics reports. `main.ts` runs one per process with the local server
 * around it; the fleet fault test and the outage bench run many in one process, the same code.
 */
import type { Random } from "./backoff.js";
import type { AgentConfig } from "./config.js";
import { DirectoryClient } from "./directory-client.js";
import { FailurePolicy } from "./failure-policy.js";
import type { OpenWatch } from "./feed/watch-session.js";
import { LeaseHolder, type RenewalExtras } from "./lease.js";
import type { Logger } from "./log.js";
import { type MetricsSnapshot, RequestCounter } from "./outputs/metrics.js";
import type { PeerDiff } from "./peer-view.js";
import { PeerView } from "./peer-view.js";
import { Scheduler } from "./scheduler.js";
import type { StateStore } from "./state-store.js";
import { Sync } from "./sync.js";

export interface AgentDeps {
  config: AgentConfig;
  store: StateStore;
  log: Logger;
  credential: string | null;
  /** The view to serve (restored from disk by the caller, if it had one). */
  view?: PeerView;
  userAgent?: string;
  random?: Random;
  openWatch?: OpenWatch;
  /** Readiness and probe reports to carry on every registration and renewal. */
  reachability?: RenewalExtras;
  onPeersChanged?: (diff: PeerDiff) => void;
  onConfirmed?: () => void;
  /** The client to use; default: one for `config.directory`. */
  client?: DirectoryClient;
}

export class Agent {
  readonly view: PeerView;
  readonly requests = new RequestCounter();
  readonly failures: FailurePolicy;
  readonly lease: LeaseHolder;
  readonly sync: Sync;
  readonly scheduler: Scheduler;

  constructor(d: AgentDeps) {
    const { config, log } = d;
    const random = d.random ?? Math.random;
    this.view = d.view ?? new PeerView(config.node, config.labels.zone ?? null);
    const client = d.client ?? new DirectoryClient(config.directory, config.cluster, config.node, d.userAgent, config.maxPeers);
    this.failures = new FailurePolicy(log, () => this.view.peers.length, random);
    this.lease = new LeaseHolder({ config, client, store: d.store, log, requests: this.requests, failures: this.failures, random, reachability: d.reachability }, d.credential);
    this.sync = new Sync(this.view, log, { onPeersChanged: (diff) => d.onPeersChanged?.(diff), onConfirmed: () => d.onConfirmed?.() });
    this.scheduler = new Scheduler({
      config,
      client,
      log,
      requests: this.requests,
      failures: this.failures,
      lease: this.lease,
      sync: this.sync,
      random,
      openWatch: d.openWatch,
    });
  }

  run(): Promise<void> {
    return this.scheduler.run();
  }

  stop(): void {
    this.scheduler.stop();
    this.sync.changeLog.flush();
  }

  /** Renews at once (this node's readiness changed). */
  renewSoon(): void {
    this.scheduler.renewSoon();
  }

  leave(): Promise<void> {
    return this.lease.leave();
  }

  get stale(): boolean {
    return this.scheduler.stale;
  }

  /** What /metrics shows, but the --on-change runs, the reachability figures and the local consumers (main.ts owns those). */
  metrics(): Omit<MetricsSnapshot, "onChangeRuns" | "probes" | "ready" | "consumers"> {
    const { view, failures, lease, scheduler } = this;
    return {
      peers: view.peers.length,
      stale: this.stale,
      synced: view.syncedThisRun,
      secondsSinceSync: view.syncedAt ? (Date.now() - view.syncedAt.getTime()) / 1000 : null,
      leaseSecondsLeft: lease.expiresAt ? (lease.expiresAt - Date.now()) / 1000 : 0,
      reachable: failures.reachable === true,
      up: failures.up === true,
      outageSeconds: failures.outageSeconds(),
      attempts: failures.attempts,
      version: view.version,
      requests: this.requests.counts,
      transport: scheduler.transport,
      watchMessages: scheduler.watch.messages,
      degraded: this.sync.degraded,
    };
  }
}
