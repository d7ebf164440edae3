/**
 * This node's lease and credential: registers with the join token, renews with the node
 * credential, saves a new credential, falls back to the join token when the credential is
 * rejected, and leaves on shutdown.
 *
 * Every request goes through the shared failure policy. Refusals only an operator can fix are
 * logged once per episode and retried slowly; a block by an operator is named as such, with
 * its reason, and retried every renew interval, so lifting it is noticed within one.
 */
import { readFile } from "node:fs/promises";
import { CLUSTER_DEFAULTS } from "../contract/lease-policy.js";
import type { ProblemKind } from "../contract/problem.js";
import type { ConsumerReport, RegisterRequest, RegisterResponse } from "../contract/schemas.js";
import { backoffCapForTtl, clampRenewAfterSeconds, type Random, renewDelayMs } from "./backoff.js";
import type { AgentConfig } from "./config.js";
import type { DirectoryClient, Reply } from "./directory-client.js";
import type { FailurePolicy } from "./failure-policy.js";
import type { Logger } from "./log.js";
import type { RequestCounter } from "./outputs/metrics.js";
import type { StateStore } from "./state-store.js";

/** Retry delay for problems only an operator can fix (bad token, unknown cluster, bad config). */
export const SLOW_RETRY_MS = 60_000;
/** Retry delay while our node id is held by a live lease (it frees up within one TTL). */
export const CONFLICT_RETRY_MS = 10_000;
export const LEAVE_TIMEOUT_MS = 2_000;

export type LeaseConfig = Pick<AgentConfig, "cluster" | "node" | "addrs" | "labels" | "ttl" | "joinTokenFile" | "stateDir">;

/** What a renewal carries besides addrs and labels: readiness, probe reports (and up to when), a consumer loop's change. */
export interface RenewalFields {
  ready?: false;
  reports?: RegisterRequest["reports"];
  /** Acknowledge with this once the directory took the renewal. */
  upTo: number;
  consumers?: ConsumerReport;
}

/** What each registration and renewal carries besides addrs and labels: readiness and probe reports. */
export interface RenewalExtras {
  /** `changesOnly`: for a renewal on the watch socket, only what changed since the directory last took it. */
  renewalFields(now: number, changesOnly?: boolean): RenewalFields;
  acknowledge(fields: RenewalFields): void;
  /** A socket renewal went unanswered (its socket ended): what it carried is still to tell. */
  unacknowledged(): void;
  /** A new socket: the directory may have restarted and forgotten what it took, so tell it all again. */
  restate(): void;
  /** The cluster's probe policy, from every registration's and renewal's answer. */
  clusterPolicy(policy: RegisterResponse["probes"]): void;
}

export interface LeaseDeps {
  config: LeaseConfig;
  reachability?: RenewalExtras;
  client: DirectoryClient;
  store: StateStore;
  log: Logger;
  requests: RequestCounter;
  failures: FailurePolicy;
  random: Random;
}

/** What a granted or confirmed lease means to the rest of the agent. */
export interface Leased {
  /** 201: a new lease (the first, or one that had ended). */
  created: boolean;
  /** The lease was not live before this answer. */
  wasLive: boolean;
  /** The cluster's version, the same one the peers ETag holds. */
  version: number;
}

/** The refusals that say this agent's token is not (or no longer) good. */
const REJECTIONS: ReadonlySet<ProblemKind> = new Set(["unauthorized", "credential-gone", "forbidden", "blocked"]);

/** Whether a refusal says this agent's token is not (or no longer) good: `rejected` handles it. */
export const isRejection = (reply: Reply<unknown>): boolean => reply.kind != null && REJECTIONS.has(reply.kind);

export class LeaseHolder {
  credential: string | null;
  live = false;
  expiresAt: number | null = null;
  renewAt = 0;
  private renewAfterMs: number;
  /** The last granted lease's TTL and renewal hint, for renewals by ping (0: none granted yet). */
  private ttlSeconds = 0;
  private renewAfterSeconds = 0;
  /** The readiness the directory last took from a registration or renewal. */
  private reportedReady = true;
  /** A renewal sent on the watch socket, until its answer comes (or the socket ends). */
  private onSocket: RenewalFields | null = null;
  private registeredOnce = false;
  /** Problems already logged in the current episode; cleared by the next lease. */
  private readonly logged = new Set<string>();

  constructor(
    private readonly d: LeaseDeps,
    credential: string | null,
  ) {
    this.credential = credential;
    // Before any lease was granted, the renew interval assumes the cluster's default lease.
    const ttl = d.config.ttl ?? CLUSTER_DEFAULTS.defaultTtlSeconds;
    this.renewAfterMs = clampRenewAfterSeconds(undefined, ttl) * 1000;
    d.failures.backoffCapMs = backoffCapForTtl(ttl);
  }

  /** How often to ping the watch: a little more often than renewals, since each ping holds the lease. */
  pingEveryMs(defaultMs: number): number {
    return this.renewAfterSeconds > 0 ? Math.min(defaultMs, this.renewAfterSeconds * 800) : defaultMs;
  }

  /**
   * A pong on the watch: the directory's runtime answered the ping and noted when, which holds
   * the lease (socket-held leases, docs/architecture.md), so no renewal is due while pongs come:
   * the HTTP renewal moves one interval on, and it goes out only when the pongs stop (the socket
   * is down). Returns the renewal message to send on the socket when there is something new to
   * carry (`socketRenewal`), else null: a steady state sends nothing at all.
   */
  heldByPing(now: number): string | null {
    if (!this.live || this.ttlSeconds === 0) return null;
    this.expiresAt = now + this.ttlSeconds * 1000;
    this.renewAt = now + renewDelayMs(this.renewAfterSeconds, this.ttlSeconds, this.d.random);
    return this.socketRenewal(now);
  }

  /**
   * A renewal for the watch socket (`{"type":"renew",…}`, the body of a PUT) when it has
   * something new to carry: a change of readiness, probe results that changed since the
   * directory last took them, or local consumers starting or stopping a loop. Addresses and
   * labels are fixed for a run. Null when there is nothing new, or an earlier one is unanswered.
   */
  socketRenewal(now: number): string | null {
    const reachability = this.d.reachability;
    if (!reachability || !this.live || this.onSocket) return null;
    const extra = reachability.renewalFields(now, true);
    if (!extra.reports && !extra.consumers && (extra.ready !== false) === this.reportedReady) return null;
    this.onSocket = extra;
    return JSON.stringify({ type: "renew", ...this.request(extra) });
  }

  /**
   * The watch socket opened. The directory counts the opening as a sign of life, as it does a
   * pong, so the lease is held from now (an HTTP renewal that was due soon is not needed).
   * Readiness and reports are soft state there (a restarted object assumes ready and knows no
   * reports), so the socket renewal returned here restates them.
   */
  socketOpened(now: number): string | null {
    this.reportedReady = true;
    this.d.reachability?.restate();
    return this.heldByPing(now);
  }

  /** The directory took the socket renewal (its `renewed` answer): the lease as a PUT's 200 would say. */
  socketRenewed(body: unknown, now: number): void {
    const sent = this.onSocket;
    this.onSocket = null;
    if (!sent || !isRegisterResponse(body)) return;
    this.d.reachability?.acknowledge(sent);
    this.reportedReady = sent.ready !== false;
    this.expiresAt = now + body.ttlSeconds * 1000;
    this.d.reachability?.clusterPolicy(body.probes);
    this.d.log.debug("renewed on the watch", { reports: sent.reports ? Object.keys(sent.reports).length : 0, ready: this.reportedReady });
  }

  /**
   * The socket renewal was refused (an `error` answer), or its socket ended unanswered: what it
   * carried goes with a renewal over HTTP, at once when refused (whose answer the failure policy
   * and the refusal handling read as usual).
   */
  socketRenewalFailed(refusal: string | null): void {
    if (!this.onSocket) return;
    this.onSocket = null;
    this.d.reachability?.unacknowledged();
    if (refusal === null) return;
    this.d.log.warn("the directory refused a renewal on the watch; renewing over HTTP", { error: refusal });
    this.renewAt = Math.min(this.renewAt, Date.now());
  }

  /** The lease ended (a 404 on peers, a rejected credential): register again at the next turn. */
  lost(): void {
    this.live = false;
    this.expiresAt = null;
    this.socketRenewalFailed(null);
  }

  /**
   * One register or renew. Returns what the lease now is when granted; null otherwise (the
   * failure policy or a hold then says when to try again).
   */
  async put(signal: AbortSignal | undefined, stopped: () => boolean): Promise<Leased | null> {
    const usingJoin = !this.credential;
    const token = this.credential ?? (await this.joinToken());
    if (!token) {
      this.d.failures.holdFor(SLOW_RETRY_MS);
      return null;
    }
    const extra = this.d.reachability?.renewalFields(Date.now());
    const reply = await this.d.client.register(token, this.request(extra), signal);
    if (stopped()) {
      // Stopped while the answer was on its way: a lease it grants is still ours, so keep its
      // credential and leaving removes the lease instead of leaving it listed until it expires.
      if (reply.outcome === "ok" && isRegisterResponse(reply.body) && reply.body.credential) this.credential = reply.body.credential;
      return null;
    }
    // Metrics: "register" is a join-token PUT, "renew" any PUT with the node credential.
    this.d.requests.add(usingJoin ? "register" : "renew", reply.outcome);
    if (reply.outcome === "ok" && !isRegisterResponse(reply.body)) {
      this.d.failures.record({ status: 0, detail: `${reply.detail}: unexpected body` });
      return null;
    }
    if (this.d.failures.record(reply) !== "ok") {
      this.refused(reply, usingJoin);
      return null;
    }
    if (extra) this.d.reachability?.acknowledge(extra);
    this.reportedReady = extra?.ready !== false;
    return this.granted(reply.status, reply.body as RegisterResponse, usingJoin);
  }

  /** Leaves the directory (at most LEAVE_TIMEOUT_MS). */
  async leave(): Promise<void> {
    if (!this.credential) return;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), LEAVE_TIMEOUT_MS);
    try {
      const reply = await this.d.client.leave(this.credential, controller.signal);
      this.d.requests.add("leave", reply.outcome);
      if (reply.outcome === "ok") this.d.log.info("left the directory", { cluster: this.d.config.cluster, node: this.d.config.node });
      else if (reply.outcome === "not_found") this.d.log.info("left (the lease had ended already)");
      else this.d.log.warn("could not leave the directory; the lease will expire by itself", { error: reply.detail });
    } finally {
      clearTimeout(timer);
      this.lost();
    }
  }

  /**
   * A 401/403 (from any request; `usingJoin`: it answered the join token). A stale credential
   * falls back to the join token once; a block waits for the operator, checked every renew
   * interval; anything else is logged once and retried every minute. Returns true when the
   * credential was dropped (the feed must stop using it).
   */
  rejected(reply: Reply<unknown>, usingJoin: boolean): boolean {
    const { config, log } = this.d;
    // Any 401 to a node credential means the directory no longer takes it ("unauthorized" too:
    // a directory that does not say credential-gone, or the Worker's check of the token's MAC).
    const credentialGone = reply.kind === "credential-gone" || reply.kind === "unauthorized";
    if (!usingJoin && credentialGone && config.joinTokenFile) {
      log.warn(
        "the directory rejected this node's credential (a newer registration of this node id replaced it, an operator evicted the node, or it was forgotten 7 days after the lease ended); registering again with the join token",
        { node: config.node },
      );
      this.credential = null;
      this.lost();
      this.d.store.clearCredential().catch((err: Error) => log.warn("could not remove the rejected credential", { error: err.message }));
      return true;
    }
    if (reply.kind === "blocked") {
      const reason = reply.problem?.reason?.trim() || "no reason given";
      this.lost();
      // Within one renew interval of the block being lifted, never sooner than 90 % of it.
      const wait = this.renewAfterMs * (0.9 + 0.1 * this.d.random());
      this.once(`blocked`, () =>
        log.error(
          `this node is blocked by an operator: ${reason}; the agent registers again once an operator lifts the block (peerdir unset); checking every ${Math.round(this.renewAfterMs / 1000)} s`,
          {
            node: config.node,
            reason,
          },
        ),
      );
      this.d.failures.holdFor(wait);
      return false;
    }
    const what = usingJoin
      ? `the join token was rejected (HTTP ${reply.status}): put the current join token of cluster ${config.cluster} in --join-token-file`
      : `the node credential was rejected (HTTP ${reply.status}): give the agent the cluster's join token (--join-token-file) so it can register again, or check --cluster and --node`;
    this.once(`rejected-${usingJoin}-${reply.status}`, () => log.error(`${what}; retrying every 60 s`, { error: reply.detail }));
    this.d.failures.holdFor(SLOW_RETRY_MS);
    return false;
  }

  /** A registration's body: this node's addrs, labels and TTL, with readiness and reports. */
  private request(extra: RenewalFields | undefined): RegisterRequest {
    const { config } = this.d;
    const request: RegisterRequest = { addrs: config.addrs };
    if (Object.keys(config.labels).length > 0) request.labels = config.labels;
    if (config.ttl !== null) request.ttlSeconds = config.ttl;
    if (extra?.ready === false) request.ready = false;
    if (extra?.reports) request.reports = extra.reports;
    if (extra?.consumers) request.consumers = extra.consumers;
    return request;
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
        this.d.log.error("no node credential and no --join-token-file: cannot register; give the agent the cluster's join token", { stateDir: this.d.config.stateDir }),
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

  /** A definite refusal of a register or renew (not 401/403 only: 404, 409, 400 too). */
  private refused(reply: Reply<RegisterResponse>, usingJoin: boolean): void {
    const { config, log } = this.d;
    if (reply.status === 0 || reply.status >= 500 || reply.kind === "rate-limited") return; // a failure: the policy's backoff holds
    if (isRejection(reply)) {
      this.rejected(reply, usingJoin);
      return;
    }
    switch (reply.kind) {
      case "conflict":
      case "cluster-full":
        this.live = false;
        this.once("conflict", () =>
          log.warn(
            "the directory refused the registration (409): another live lease holds this node id (another agent with the same --node, or this node's previous lease whose credential was lost), or the cluster is full; retrying every 10 s",
            { node: config.node, error: reply.detail },
          ),
        );
        this.d.failures.holdFor(CONFLICT_RETRY_MS);
        return;
      case "not-found":
      case "not-registered":
        this.once("no-cluster", () =>
          log.error("the directory does not know this cluster; check --cluster and --directory; retrying every 60 s", { cluster: config.cluster, error: reply.detail }),
        );
        this.d.failures.holdFor(SLOW_RETRY_MS);
        return;
      default:
        // A bad request, or an answer this agent does not know: only a change of configuration helps.
        this.once("bad-request", () =>
          log.error("the directory rejected this node's registration; fix the configuration (see error); retrying every 60 s", { error: reply.detail }),
        );
        this.d.failures.holdFor(SLOW_RETRY_MS);
        return;
    }
  }

  private async granted(status: number, body: RegisterResponse, usingJoin: boolean): Promise<Leased> {
    const now = Date.now();
    const { log, config } = this.d;
    if (body.credential) {
      this.credential = body.credential;
      try {
        await this.d.store.saveCredential(body.credential);
      } catch (err) {
        log.error("could not save the node credential; it works until the agent restarts", { path: this.d.store.credentialPath, error: (err as Error).message });
      }
    }
    const wasLive = this.live;
    this.live = true;
    this.expiresAt = now + body.ttlSeconds * 1000;
    this.renewAfterMs = clampRenewAfterSeconds(body.renewAfterSeconds, body.ttlSeconds) * 1000;
    this.d.failures.backoffCapMs = backoffCapForTtl(body.ttlSeconds);
    this.renewAt = now + renewDelayMs(body.renewAfterSeconds, body.ttlSeconds, this.d.random);
    this.ttlSeconds = body.ttlSeconds;
    this.renewAfterSeconds = body.renewAfterSeconds;
    this.d.reachability?.clusterPolicy(body.probes);
    this.logged.clear();
    const fields = { cluster: config.cluster, node: config.node, ttl: body.ttlSeconds, expiresAt: body.expiresAt };
    if (!this.registeredOnce) log.info(usingJoin ? "registered with the join token" : status === 201 ? "registered" : "registered (lease still live)", fields);
    else if (status === 201) log.warn("lease had ended; registered again", fields);
    else if (!wasLive) log.info("lease confirmed", fields);
    else log.debug("renewed", fields);
    this.registeredOnce = true;
    return { created: status === 201, wasLive, version: body.version };
  }
}

function isRegisterResponse(body: unknown): body is RegisterResponse {
  const b = body as RegisterResponse;
  return typeof b === "object" && b !== null && Number.isFinite(b.ttlSeconds) && b.ttlSeconds > 0 && typeof b.version === "number";
}
