/**
 * The agent's one loop with the directory: register, renew, follow the peers, recover.
 *
 * A single loop decides every request, so a 429's Retry-After or a backoff delay holds back
 * everything at once. Each turn picks the most urgent task: register when there is no lease,
 * else renew or feed (hear about peers), whichever is due first. How the feed works depends on
 * the transport (transport.ts): `poll` is one request per turn; a `long-poll` request and a
 * `watch` socket run in the background while the loop goes on renewing, and wake the loop when
 * they end. So at most two requests are ever in flight: a renewal and a held long-poll.
 *
 * Failure policy (issue 3): network errors and 5xx back off exponentially with full jitter
 * (1 s..30 s); a 429 waits as long as Retry-After says; a rejected token or a refused request
 * that only an operator can fix is logged once and retried every minute, never in a tight loop.
 * The directory being down never ends the loop: the last-known-good peers keep being served and
 * are flagged stale.
 */
import { readFile } from "node:fs/promises";
import type { RegisterRequest, RegisterResponse } from "../contract/schemas.js";
import { CLOSE_BLOCKED, CLOSE_CREDENTIAL_GONE } from "../contract/watch.js";
import { BACKOFF_MIN_MS, backoffDelayMs, jitter, type Random, renewDelayMs } from "./backoff.js";
import type { AgentConfig } from "./config.js";
import type { DirectoryClient, Reply } from "./directory-client.js";
import type { Logger } from "./log.js";
import type { RequestCounter } from "./metrics.js";
import type { PeerDiff, PeerView } from "./peer-view.js";
import type { StateStore } from "./state-store.js";
import {
  describeChange,
  hasWebSocket,
  KEEPALIVE_MISSES,
  KEEPALIVE_MS,
  LONG_POLL_MIN_SPACING_MS,
  LONG_POLL_WAIT_SECONDS,
  parseHandout,
  parseWatchMessage,
  type HandoutUpdate,
  type Transport,
  type TransportChange,
  TransportPolicy,
} from "./transport.js";
import { openWatchSession, type OpenWatch, type WatchEnd, type WatchHandlers, type WatchLike } from "./watch.js";

/** Retry delay for problems only an operator can fix (bad token, unknown cluster, bad config). */
export const SLOW_RETRY_MS = 60_000;
/** Retry delay while our node id is held by a live lease (it frees up within one TTL). */
export const CONFLICT_RETRY_MS = 10_000;
export const LEAVE_TIMEOUT_MS = 2_000;
const RATE_LIMIT_LOG_EVERY_MS = 600_000;

export interface LifecycleDeps {
  config: Pick<AgentConfig, "cluster" | "node" | "addrs" | "labels" | "ttl" | "pollInterval" | "joinTokenFile" | "stateDir" | "transport">;
  client: DirectoryClient;
  store: StateStore;
  view: PeerView;
  log: Logger;
  requests: RequestCounter;
  /** Called after the peer list's content changed (already applied to the view). */
  onPeersChanged: (diff: PeerDiff) => void;
  credential: string | null;
  random?: Random;
  /** Whether a WebSocket client is available; default: whether this Node.js has one. */
  webSocket?: boolean;
  /** Opens a watch; default: a WatchSession on the global WebSocket. */
  openWatch?: OpenWatch;
  /** What each registration and renewal carries besides addrs and labels: readiness and probe reports. */
  reachability?: {
    renewalFields(now: number): { ready?: false; reports?: RegisterRequest["reports"]; upTo: number };
    acknowledge(upTo: number): void;
  };
}

type Task = "register" | "renew" | "feed";
type FeedOutcome = "ok" | "not_modified" | "refused" | "failed";

export class Lifecycle {
  credential: string | null;
  leaseLive = false;
  leaseExpiresAt: number | null = null;
  /** null until the first answer or failure. */
  reachable: boolean | null = null;

  /** The directory's last handout or delta said `"degraded": true` (self-preservation is on). */
  degraded = false;
  readonly policy: TransportPolicy;
  /** Watch messages received, by type (snapshot, delta, pong, other). */
  readonly watchMessages = new Map<string, number>();

  private renewAt = 0;
  /** When to start the next feed (a poll, a long-poll, a watch); ignored while one runs. */
  private feedAt = 0;
  /** The feed running in the background, if any. */
  private feeding: "long-poll" | "watch" | null = null;
  private watch: WatchLike | null = null;
  private watchAttempts = 0;
  /** The last watch upgrade failed; the next feed turn finds out why. */
  private upgradeFailed = false;
  private notBefore = 0;
  private failures = 0;
  private downSince = 0;
  private rateLimitLoggedAt = -Infinity;
  private etag: string | null = null;
  private registeredOnce = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private wake: (() => void) | null = null;
  /** Problems already logged in the current episode; cleared by the next success. */
  private readonly logged = new Set<string>();
  private readonly random: Random;

  constructor(private readonly d: LifecycleDeps) {
    this.credential = d.credential;
    this.random = d.random ?? Math.random;
    this.policy = new TransportPolicy(d.config.transport, d.webSocket ?? hasWebSocket());
  }

  get transport(): Transport {
    return this.policy.current;
  }

  /** Peers are stale unless confirmed during this run, recently, by a reachable directory. */
  get stale(): boolean {
    const { view } = this.d;
    if (!view.syncedThisRun || this.reachable === false || !view.syncedAt) return true;
    // A quiet watch confirms the list with every pong, a held long-poll when its wait ends.
    const quiet = this.transport === "watch" ? KEEPALIVE_MS * KEEPALIVE_MISSES : this.transport === "long-poll" ? LONG_POLL_WAIT_SECONDS * 1000 : 0;
    const maxAge = Math.max(3 * this.d.config.pollInterval * 1000, 15_000, quiet + 15_000);
    return Date.now() - view.syncedAt.getTime() > maxAge;
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      const now = Date.now();
      const feedAt = this.feeding ? Infinity : this.feedAt;
      const task: Task = !this.leaseLive ? "register" : this.renewAt <= feedAt ? "renew" : "feed";
      const due = Math.max(task === "register" ? now : task === "renew" ? this.renewAt : feedAt, this.notBefore);
      if (due > now) {
        await this.sleep(due - now);
        continue;
      }
      if (task === "feed") await this.feed();
      else await this.put();
    }
    this.closeWatch("stopping");
  }

  /** Ends the loop and aborts the requests in flight; `run()` then resolves. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.closeWatch("stopping");
    this.wake?.();
  }

  /**
   * Renews now instead of at the scheduled time: this node's readiness changed, which the
   * directory should know before the next renewal would tell it.
   */
  renewSoon(): void {
    if (!this.leaseLive || this.stopped) return;
    this.renewAt = Math.min(this.renewAt, Date.now());
    this.wake?.();
  }

  /** Leaves the directory (at most LEAVE_TIMEOUT_MS). Call after stop(). */
  async leave(): Promise<void> {
    if (!this.credential) return;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), LEAVE_TIMEOUT_MS);
    try {
      const reply = await this.d.client.leave(this.credential, controller.signal);
      this.d.requests.add("leave", reply.outcome);
      if (reply.outcome === "ok") this.d.log.info("left the directory", { cluster: this.d.config.cluster, node: this.d.config.node });
      else if (reply.outcome === "not_found") this.d.log.info("left (the lease had already ended)");
      else this.d.log.warn("could not leave the directory; the lease will expire by itself", { error: reply.detail });
    } finally {
      clearTimeout(timer);
      this.leaseLive = false;
      this.leaseExpiresAt = null;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private once(key: string, log: () => void): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    log();
  }

  private async joinToken(): Promise<string | null> {
    const path = this.d.config.joinTokenFile;
    if (!path) {
      this.once("no-token", () =>
        this.d.log.error("no node credential and no --join-token-file: cannot register; give the agent the cluster's join token", {
          stateDir: this.d.config.stateDir,
        }),
      );
      return null;
    }
    try {
      const token = (await readFile(path, "utf8")).trim();
      if (token) return token;
      throw new Error("the file is empty");
    } catch (err) {
      this.once("token-file", () => this.d.log.error("cannot read the join token file; retrying every 60 s", { path, error: (err as Error).message }));
      return null;
    }
  }

  private async put(): Promise<void> {
    const usingJoin = !this.credential;
    const token = this.credential ?? (await this.joinToken());
    if (!token) {
      this.notBefore = Date.now() + SLOW_RETRY_MS;
      return;
    }
    const { config } = this.d;
    const request: RegisterRequest = { addrs: config.addrs };
    if (Object.keys(config.labels).length > 0) request.labels = config.labels;
    if (config.ttl !== null) request.ttlSeconds = config.ttl;
    const extra = this.d.reachability?.renewalFields(Date.now());
    if (extra?.ready === false) request.ready = false;
    if (extra?.reports) request.reports = extra.reports;
    const reply = await this.d.client.register(token, request, this.abort.signal);
    if (this.stopped) return;
    // Metrics: "register" is a join-token PUT, "renew" any PUT with the node credential.
    const kind = usingJoin ? "register" : "renew";
    this.d.requests.add(kind, reply.outcome);
    if (reply.outcome === "ok" && isRegisterResponse(reply.body)) {
      if (extra) this.d.reachability!.acknowledge(extra.upTo);
      await this.leased(reply.status, reply.body, usingJoin);
      return;
    }
    if (reply.outcome === "ok") return this.failed({ ...reply, outcome: "unexpected", detail: `${reply.detail}: unexpected body` });
    if (reply.outcome === "unauthorized" || reply.outcome === "forbidden") return this.rejected(reply, usingJoin);
    this.answered();
    switch (reply.outcome) {
      case "conflict":
        this.leaseLive = false;
        this.once("conflict", () =>
          this.d.log.warn(
            "the directory refused the registration (409): another live lease holds this node id (another agent with the same --node, or this node's previous lease whose credential was lost), or the cluster is full; retrying every 10 s",
            { node: config.node, error: reply.detail },
          ),
        );
        this.notBefore = Date.now() + CONFLICT_RETRY_MS;
        return;
      case "not_found":
        this.once("no-cluster", () => this.d.log.error("the directory does not know this cluster; check --cluster and --directory; retrying every 60 s", { cluster: config.cluster, error: reply.detail }));
        this.notBefore = Date.now() + SLOW_RETRY_MS;
        return;
      case "bad_request":
        this.once("bad-request", () => this.d.log.error("the directory rejected this node's registration; fix the configuration (see error); retrying every 60 s", { error: reply.detail }));
        this.notBefore = Date.now() + SLOW_RETRY_MS;
        return;
      case "rate_limited":
        return this.rateLimited(reply);
      default:
        return this.failed(reply);
    }
  }

  private async leased(status: number, body: RegisterResponse, usingJoin: boolean): Promise<void> {
    const now = Date.now();
    if (body.credential) {
      this.credential = body.credential;
      try {
        await this.d.store.saveCredential(body.credential);
      } catch (err) {
        this.d.log.error("could not save the node credential; it works until the agent restarts", { path: this.d.store.credentialPath, error: (err as Error).message });
      }
    }
    const wasLive = this.leaseLive;
    this.leaseLive = true;
    this.leaseExpiresAt = now + body.ttlSeconds * 1000;
    this.renewAt = now + renewDelayMs(body.renewAfterSeconds, body.ttlSeconds, this.random);
    this.recovered();
    const fields = { cluster: this.d.config.cluster, node: this.d.config.node, ttl: body.ttlSeconds, expiresAt: body.expiresAt };
    if (!this.registeredOnce) {
      this.d.log.info(usingJoin ? "registered with the join token" : status === 201 ? "registered" : "registered (lease still live)", fields);
    } else if (status === 201) {
      this.d.log.warn("lease had ended; registered again", fields);
    } else if (!wasLive) {
      this.d.log.info("lease confirmed", fields);
    } else {
      this.d.log.debug("renewed", fields);
    }
    this.registeredOnce = true;
    // The response carries the cluster's version, the same one the peers ETag holds. A new lease
    // or an unseen version means the peers may have changed: ask now. An unchanged version is as
    // good as a 304, so the renewal stands in for the next poll and keeps us under the rate limit.
    // A running watch or long-poll hears of any change by itself.
    const news = !wasLive || status === 201 || body.version !== this.d.view.version;
    if (news && !this.feeding) this.feedAt = now;
    else if (!news && this.d.view.syncedThisRun) {
      this.synced(null);
      if (this.transport === "poll" && !this.feeding) this.feedAt = Math.max(this.feedAt, now + jitter(this.d.config.pollInterval * 1000, 0.1, this.random));
    }
  }

  // ---- the feed: how the agent hears about peer changes ----------------------------------

  private async feed(): Promise<void> {
    const change = this.policy.due(Date.now());
    if (change) this.changed(change);
    const diagnose = this.upgradeFailed;
    this.upgradeFailed = false;
    switch (this.transport) {
      case "poll":
        await this.poll();
        return;
      case "long-poll":
        this.startLongPoll();
        return;
      case "watch":
        if (diagnose) await this.diagnoseUpgrade();
        else this.openWatch();
        return;
    }
  }

  private changed(change: TransportChange): void {
    this.d.log.info(describeChange(change), { from: change.from, to: change.to, reason: change.reason });
  }

  /** The credential the current handout version is known under, and the ETag that says so. */
  private get current(): { etag: string; version: number } | null {
    const { view } = this.d;
    return view.syncedThisRun && view.version !== null && this.etag !== null ? { etag: `"${view.version}"`, version: view.version } : null;
  }

  /** One ETag poll (the `poll` transport, and the check after a failed watch upgrade). */
  private async poll(): Promise<FeedOutcome> {
    const credential = this.credential;
    if (!credential) {
      this.leaseLive = false;
      return "refused";
    }
    const reply = await this.d.client.peers(credential, this.etag, this.abort.signal);
    if (this.stopped) return "failed";
    this.d.requests.add("peers", reply.outcome);
    this.feedAt = Date.now() + jitter(this.d.config.pollInterval * 1000, 0.1, this.random);
    return this.handout(reply);
  }

  /** Starts a long-poll in the background; it wakes the loop when it ends. */
  private startLongPoll(): void {
    const credential = this.credential;
    if (!credential) {
      this.leaseLive = false;
      return;
    }
    // The first read of a run is a plain one: only a list confirmed in this run may be the base of a delta.
    const base = this.current;
    const waitSeconds = base ? LONG_POLL_WAIT_SECONDS : 0;
    const startedAt = Date.now();
    this.feeding = "long-poll";
    void this.d.client
      .peers(credential, base?.etag ?? null, this.abort.signal, base ? { waitSeconds, since: base.version } : {})
      .then((reply) => {
        this.feeding = null;
        if (this.stopped || credential !== this.credential) return; // a new credential: this answer is moot
        this.d.requests.add("long_poll", reply.outcome);
        const now = Date.now();
        this.feedAt = Math.max(now, startedAt + LONG_POLL_MIN_SPACING_MS);
        const outcome = this.handout(reply);
        if (outcome === "ok" || outcome === "not_modified") {
          const change = this.policy.longPollAnswered(now, outcome === "ok" ? 200 : 304, now - startedAt, waitSeconds * 1000);
          if (change) this.changed(change);
        }
      })
      .finally(() => this.wake?.());
  }

  /**
   * Opens the watch in the background (the loop goes on renewing during the handshake); the
   * open, messages and the end arrive as events.
   */
  private openWatch(): void {
    const credential = this.credential;
    if (!credential) {
      this.leaseLive = false;
      return;
    }
    const base = this.current;
    const url = this.d.client.watchUrl(base ? base.version : null);
    this.feeding = "watch";
    let session: WatchLike | null = null;
    const handlers: WatchHandlers = {
      onOpen: () => {
        if (session !== this.watch) return;
        this.d.requests.add("watch", "ok");
        this.answered();
        // Resumed: the directory now sends what was missed, if anything; the list stands until then.
        if (base && this.d.view.syncedThisRun) this.synced(null);
        this.d.log.debug("watch open", { resumedFrom: base?.version ?? null });
      },
      onMessage: (text) => {
        if (session === this.watch) this.watchMessage(text);
      },
      onEnd: (end) => {
        if (session !== this.watch) return;
        if (end.opened) return this.watchEnded(credential, end);
        this.watch = null;
        this.feeding = null;
        this.d.requests.add("watch", "upgrade_failed");
        this.d.log.debug("watch upgrade failed", { reason: end.reason });
        // Find out why at the next turn, at once.
        this.upgradeFailed = true;
        this.feedAt = Date.now();
        this.wake?.();
      },
    };
    try {
      session = (this.d.openWatch ?? openWatchSession)(url, credential, handlers);
      this.watch = session;
    } catch (err) {
      // The client refused to even try (a credential that is no valid subprotocol, say).
      this.watch = session = { close: () => {} };
      handlers.onEnd({ opened: false, code: 1006, reason: (err as Error).message, lifetimeMs: 0 });
    }
  }

  /**
   * After a failed upgrade, which gives no status: a plain request tells a refusal (401, 403,
   * 404, 429) or an outage from an upgrade that cannot get through, and keeps the peers fresh.
   */
  private async diagnoseUpgrade(): Promise<void> {
    const outcome = await this.poll();
    if (this.stopped) return;
    const now = Date.now();
    const change = this.policy.watchUpgradeFailed(now, outcome === "ok" || outcome === "not_modified");
    if (change) {
      this.changed(change);
      this.feedAt = now;
    } else {
      // Not the poll's interval: the watch is tried again after the backoff (notBefore still holds a 429's wait).
      this.feedAt = now + backoffDelayMs(this.watchAttempts++, this.random);
    }
  }

  private watchMessage(text: string): void {
    const event = parseWatchMessage(text);
    const type = event === null ? "invalid" : event.kind === "update" ? event.type : event.kind === "pong" ? "pong" : "other";
    this.watchMessages.set(type, (this.watchMessages.get(type) ?? 0) + 1);
    if (event === null) {
      this.d.log.debug("ignoring a watch message that is not a handout", { message: text.slice(0, 200) });
      return;
    }
    if (event.kind === "pong") {
      if (this.d.view.syncedThisRun) this.synced(null);
      return;
    }
    if (event.kind === "other") {
      this.d.log.debug("watch message", { type: event.type, message: event.text.slice(0, 200) });
      return;
    }
    this.watchAttempts = 0;
    this.policy.watchDelivered();
    this.etag = `"${event.update.version}"`;
    this.synced(event.update);
  }

  private watchEnded(credential: string, end: WatchEnd): void {
    this.watch = null;
    this.feeding = null;
    this.wake?.();
    if (this.stopped || credential !== this.credential) return;
    const now = Date.now();
    const detail = `watch closed (${end.code}): ${end.reason}`;
    if (end.code === CLOSE_CREDENTIAL_GONE) {
      this.d.requests.add("watch", "unauthorized");
      this.rejected({ outcome: "unauthorized", status: 401, detail }, false);
      return;
    }
    if (end.code === CLOSE_BLOCKED) {
      this.d.requests.add("watch", "forbidden");
      this.rejected({ outcome: "forbidden", status: 403, detail }, false);
      return;
    }
    this.d.log.debug("watch closed; reopening", { code: end.code, reason: end.reason, openSeconds: Math.round(end.lifetimeMs / 1000) });
    const change = this.policy.watchEnded(now, end.lifetimeMs, end.code !== 1000 && end.code !== 1001);
    if (change) {
      this.changed(change);
      this.feedAt = now;
      return;
    }
    // A watch that lived a while reopens at once (spread over a second, so a directory restart
    // is not met by every agent in the same millisecond); one that keeps dying backs off.
    this.feedAt = now + (end.lifetimeMs >= KEEPALIVE_MS ? this.random() * BACKOFF_MIN_MS : backoffDelayMs(this.watchAttempts++, this.random));
  }

  private closeWatch(reason: string): void {
    const watch = this.watch;
    this.watch = null;
    if (this.feeding === "watch") this.feeding = null;
    watch?.close(reason);
  }

  /** Acts on a `GET …/peers` answer (poll or long-poll). */
  private handout(reply: Reply<unknown>): FeedOutcome {
    switch (reply.outcome) {
      case "ok": {
        const update = parseHandout(reply.body);
        // A delta needs the list it applies to: one confirmed in this run at its base version.
        if (!update || (update.kind === "delta" && !this.d.view.syncedThisRun)) {
          this.failed({ ...reply, outcome: "unexpected", detail: `${reply.detail}: unexpected body` });
          return "failed";
        }
        this.etag = reply.etag ?? `"${update.version}"`;
        this.synced(update);
        return "ok";
      }
      case "not_modified":
        this.synced(null);
        return "not_modified";
      case "not_found":
        this.answered();
        this.leaseLive = false;
        this.leaseExpiresAt = null;
        this.d.log.warn("lease lost (the directory has no live lease for this node); registering again", { node: this.d.config.node });
        return "refused";
      case "unauthorized":
      case "forbidden":
        this.rejected(reply, false);
        return "refused";
      case "rate_limited":
        this.rateLimited(reply);
        return "refused";
      default:
        this.failed(reply);
        return "failed";
    }
  }

  private synced(update: HandoutUpdate | null): void {
    const { view, log } = this.d;
    const first = !view.syncedThisRun;
    const at = new Date();
    this.recovered();
    if (!update) {
      view.confirm(at);
    } else {
      this.degraded = update.degraded;
      const diff = view.apply(update, at);
      if (diff) {
        const marks = [...diff.added.map((id) => `+${id}`), ...diff.removed.map((id) => `-${id}`), ...diff.updated.map((id) => `~${id}`)];
        log.info("peers changed", {
          peers: view.peers.length,
          added: diff.added.length,
          removed: diff.removed.length,
          updated: diff.updated.length,
          changes: marks.length > 20 ? `${marks.slice(0, 20).join(" ")} ...` : marks.join(" "),
          version: update.version,
        });
        this.d.onPeersChanged(diff);
      }
    }
    if (first) log.info("synced with the directory", { peers: view.peers.length, version: view.version });
  }

  /** A 401/403. A stale credential falls back to the join token once; anything else waits for an operator. */
  private rejected(reply: Reply<unknown>, usingJoin: boolean): void {
    this.answered();
    if (!usingJoin && reply.outcome === "unauthorized" && this.d.config.joinTokenFile) {
      this.d.log.warn(
        "the directory rejected this node's credential (a newer registration of this node id replaced it, or it was forgotten 7 days after the lease ended); registering again with the join token",
        { node: this.d.config.node },
      );
      this.credential = null;
      this.leaseLive = false;
      this.leaseExpiresAt = null;
      this.closeWatch("the credential was rejected");
      this.d.store.clearCredential().catch((err: Error) => this.d.log.warn("could not remove the rejected credential", { error: err.message }));
      return;
    }
    const what = usingJoin
      ? `the join token was rejected (HTTP ${reply.status}): put the current join token of cluster ${this.d.config.cluster} in --join-token-file`
      : `the node credential was rejected (HTTP ${reply.status}): give the agent the cluster's join token (--join-token-file) so it can register again, or check --cluster and --node`;
    this.once(`rejected-${usingJoin}-${reply.status}`, () => this.d.log.error(`${what}; retrying every 60 s`, { error: reply.detail }));
    this.notBefore = Date.now() + SLOW_RETRY_MS;
    if (!usingJoin) this.feedAt = Math.max(this.feedAt, this.notBefore);
  }

  private rateLimited(reply: Reply<unknown>): void {
    this.answered();
    const wait = reply.retryAfterMs ?? backoffDelayMs(this.failures++, this.random);
    // At most one line per 10 minutes: a too-short --poll-interval must not turn into a log flood.
    const fields = { waitSeconds: Math.round(wait / 100) / 10 };
    if (Date.now() - this.rateLimitLoggedAt >= RATE_LIMIT_LOG_EVERY_MS) {
      this.rateLimitLoggedAt = Date.now();
      this.d.log.warn("rate limited by the directory; waiting as told (use a longer --poll-interval)", fields);
    } else this.d.log.debug("rate limited", fields);
    this.notBefore = Date.now() + wait;
  }

  /** Network error, timeout or 5xx: back off, keep serving what we have. */
  private failed(reply: Reply<unknown>): void {
    const wait = backoffDelayMs(this.failures++, this.random);
    this.notBefore = Date.now() + wait;
    if (this.reachable !== false) {
      this.downSince = Date.now();
      this.d.log.warn("directory unreachable; serving the last-known-good peers, marked stale", {
        error: reply.detail,
        peers: this.d.view.peers.length,
      });
    } else {
      this.d.log.debug("directory still unreachable", { error: reply.detail, retryInSeconds: Math.round(wait / 100) / 10 });
    }
    this.reachable = false;
  }

  /** The directory answered (even if with a refusal): it is reachable. */
  private answered(): void {
    if (this.reachable === false) {
      this.d.log.info("directory reachable again", { downSeconds: Math.round((Date.now() - this.downSince) / 1000) });
    }
    this.reachable = true;
    this.failures = 0;
  }

  /** A request fully succeeded: the current problem episode is over. */
  private recovered(): void {
    this.answered();
    this.logged.clear();
  }
}

function isRegisterResponse(body: unknown): body is RegisterResponse {
  const b = body as RegisterResponse;
  return typeof b === "object" && b !== null && Number.isFinite(b.ttlSeconds) && b.ttlSeconds > 0 && typeof b.version === "number";
}
