/**
 * The agent's one loop with the directory: decides which request goes next, and when.
 *
 * Each turn picks the most urgent task: register when there is no lease, else renew or feed
 * (hear about peers), whichever is due first, and never before the shared failure policy's
 * `notBefore`, so one backoff or one Retry-After holds back everything at once. At most two
 * requests are ever in flight: a renewal and a held long-poll (or the watch socket). The
 * directory being down never ends the loop: the last-known-good peers keep being served and are
 * flagged stale.
 */
import { jitter, type Random } from "./backoff.js";
import type { AgentConfig } from "./config.js";
import type { DirectoryClient } from "./directory-client.js";
import type { FailurePolicy } from "./failure-policy.js";
import type { Feed, FeedHost } from "./feed/feed.js";
import { LongPollFeed } from "./feed/long-poll.js";
import { PollFeed } from "./feed/poll.js";
import { describeChange, KEEPALIVE_MISSES, KEEPALIVE_MS, LONG_POLL_WAIT_SECONDS, type Transport, type TransportChange, TransportPolicy } from "./feed/transport.js";
import { WatchFeed } from "./feed/watch.js";
import type { OpenWatch } from "./feed/watch-session.js";
import type { LeaseHolder } from "./lease.js";
import type { Logger } from "./log.js";
import type { RequestCounter } from "./outputs/metrics.js";
import type { Sync } from "./sync.js";

export interface SchedulerDeps {
  config: Pick<AgentConfig, "node" | "pollInterval" | "transport">;
  client: DirectoryClient;
  log: Logger;
  requests: RequestCounter;
  failures: FailurePolicy;
  lease: LeaseHolder;
  sync: Sync;
  random: Random;
  /** Opens a watch; default: a WatchSession on the agent's own WebSocket client. */
  openWatch?: OpenWatch;
}

export class Scheduler {
  readonly transports: TransportPolicy;
  readonly watch: WatchFeed;
  private readonly feeds: Record<Transport, Feed>;
  private stopped = false;
  private readonly abort = new AbortController();
  private wakeUp: (() => void) | null = null;

  constructor(private readonly d: SchedulerDeps) {
    this.transports = new TransportPolicy(d.config.transport);
    const host: FeedHost = {
      node: d.config.node,
      client: d.client,
      log: d.log,
      requests: d.requests,
      failures: d.failures,
      lease: d.lease,
      sync: d.sync,
      transports: this.transports,
      random: d.random,
      signal: this.abort.signal,
      pollIntervalMs: d.config.pollInterval * 1000,
      stopped: () => this.stopped,
      wake: () => this.wakeUp?.(),
      changed: (change) => this.changed(change),
      credentialDropped: () => this.watch.stop("the credential was rejected"),
    };
    const poll = new PollFeed(host);
    this.watch = new WatchFeed(host, poll, d.openWatch);
    this.feeds = { poll, "long-poll": new LongPollFeed(host), watch: this.watch };
  }

  get transport(): Transport {
    return this.transports.current;
  }

  /** Peers are stale unless confirmed during this run, recently, by a reachable directory. */
  get stale(): boolean {
    const { view } = this.d.sync;
    if (!view.syncedThisRun || this.d.failures.reachable === false || !view.syncedAt) return true;
    // A quiet watch confirms the list with every pong, a held long-poll when its wait ends.
    const quiet = this.transport === "watch" ? KEEPALIVE_MS * KEEPALIVE_MISSES : this.transport === "long-poll" ? LONG_POLL_WAIT_SECONDS * 1000 : 0;
    const maxAge = Math.max(3 * this.d.config.pollInterval * 1000, 15_000, quiet + 15_000);
    return Date.now() - view.syncedAt.getTime() > maxAge;
  }

  async run(): Promise<void> {
    const { lease, sync, failures } = this.d;
    while (!this.stopped) {
      const now = Date.now();
      const feeding = Object.values(this.feeds).some((f) => f.running);
      const feedAt = feeding ? Infinity : sync.feedAt;
      const task = !lease.live ? "register" : lease.renewAt <= feedAt ? "renew" : "feed";
      const due = Math.max(task === "register" ? now : task === "renew" ? lease.renewAt : feedAt, failures.notBefore);
      if (due > now) {
        await this.sleep(due - now);
        continue;
      }
      if (task === "feed") await this.feed();
      else await this.put();
    }
    this.stopFeeds("stopping");
  }

  /**
   * Renews now instead of at the scheduled time: this node's readiness changed, which the
   * directory should know before the next renewal would tell it. On an open watch that is a
   * message on the socket; otherwise a renewal over HTTP (the failure policy still holds).
   */
  renewSoon(): void {
    if (!this.d.lease.live || this.stopped) return;
    if (this.watch.renewOnSocket()) return;
    this.d.lease.renewAt = Math.min(this.d.lease.renewAt, Date.now());
    this.wakeUp?.();
  }

  /** Ends the loop and aborts the requests in flight; `run()` then resolves. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.stopFeeds("stopping");
    this.wakeUp?.();
  }

  private stopFeeds(reason: string): void {
    for (const feed of Object.values(this.feeds)) feed.stop(reason);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async put(): Promise<void> {
    const { lease, sync } = this.d;
    // Not aborted by stop(): a registration whose answer is lost would leave a lease the agent
    // cannot remove. The request's own time-out bounds how long a shutdown waits for it.
    const leased = await lease.put(undefined, () => this.stopped);
    if (!leased) {
      if (!lease.credential) this.watch.stop("registering with the join token");
      return;
    }
    // The response carries the cluster's version, the same one the peers ETag holds. A new lease
    // or an unseen version means the peers may have changed: ask now. An unchanged version is as
    // good as a 304, so the renewal stands in for the next poll and keeps us under the rate limit.
    // A running watch or long-poll hears of any change by itself.
    const now = Date.now();
    const feeding = Object.values(this.feeds).some((f) => f.running);
    const news = !leased.wasLive || leased.created || leased.version !== sync.view.version;
    if (news && !feeding) sync.feedAt = now;
    else if (!news) {
      sync.confirm();
      if (this.transport === "poll" && !feeding) sync.feedAt = Math.max(sync.feedAt, now + jitter(this.d.config.pollInterval * 1000, 0.1, this.d.random));
    }
  }

  private async feed(): Promise<void> {
    const change = this.transports.due(Date.now());
    if (change) this.changed(change);
    await this.feeds[this.transport].turn();
  }

  private changed(change: TransportChange): void {
    // The watch belongs to the transport left behind.
    if (change.from === "watch") this.watch.stop(`transport: ${change.to}`);
    this.d.log.info(describeChange(change), { from: change.from, to: change.to, reason: change.reason });
  }
}
