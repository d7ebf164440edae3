/**
 * The ClusterDirectory Durable Object: one per cluster, addressed by the cluster's name.
 *
 * A thin adapter. It applies the schema migrations, loads the cluster into a `ClusterCore`,
 * exposes the core's operations as RPC methods, and keeps the single alarm at the core's next
 * due time. It never makes an outbound request: it answers from its own state only.
 */
import { DurableObject } from "cloudflare:workers";
import type { AuditPage, ClusterSettingsPatch, CreatedJoinToken, Override } from "../../contract/admin.js";
import type { CreateClusterResponse } from "../../contract/schemas.js";
import { ok, type Outcome } from "../../contract/problem.js";
import { problemResponse } from "../http/errors.js";
import {
  ClusterCore,
  DEFAULT_CORE_OPTIONS,
  EMPTY_SNAPSHOT,
  type NodeRequest,
  type OverrideInput,
  type PeersInput,
  type PeersResult,
  type RegisterInput,
  type RegisterResult,
} from "../../cluster/cluster-core.js";
import { applyMigrations, hasSchema } from "../storage/migrations.js";
import { presentAudit, presentOverride } from "../../cluster/present.js";
import { ADMIN_ACTOR } from "../../cluster/records.js";
import { SingleAlarm } from "./single-alarm.js";
import { SqlStore } from "../storage/sql-store.js";
import { JOIN_TOKEN_PREFIX, NODE_CREDENTIAL_PREFIX } from "../../contract/tokens.js";
import { CLOSE_BLOCKED, CLOSE_CREDENTIAL_GONE, PING, PONG, WATCH_SUBPROTOCOL } from "../../contract/watch.js";
import { newSecret, newTokenId, sha256Hex } from "../secrets.js";
import { checkAddr } from "../../contract/addresses.js";

import { echoableCloseCode, parseWatchMessage, WATCH_HEADERS, type WatchAttachment } from "./watchers.js";

/** How soon to try a renewal checkpoint again after it failed. */
const CHECKPOINT_RETRY_MS = 1_000;

/** After this many failed alarm runs, stop throwing (the runtime gives up after 6) and re-arm. */
const ALARM_RETRY_LIMIT = 5;
const ALARM_REARM_MS = 30_000;

/** A numeric `[vars]` entry, or the default when it is missing, not a number or below `min`. */
function numberVar(raw: string | undefined, min: number, fallback: number): number {
  const value = Number(raw);
  return raw !== undefined && Number.isFinite(value) && value >= min ? value : fallback;
}

export type NodeCall = Omit<NodeRequest, "now">;
export type RegisterCall = Omit<RegisterInput, "now" | "fresh">;
export type PeersCall = Omit<PeersInput, "now" | "countRequest"> & { waitSeconds?: number };

export class ClusterDirectory extends DurableObject<Env> {
  #core!: ClusterCore;
  #store!: SqlStore;
  readonly #alarm: SingleAlarm;
  /** Set when a failed operation could not rebuild the core from storage at once. */
  #reloadNeeded = false;
  /** Long-polls waiting for the next version. */
  readonly #waiters = new Set<() => void>();
  /** Writes the renewals the core holds in memory when their checkpoint comes. */
  #checkpointTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#alarm = new SingleAlarm(ctx.storage);
    // Keep-alives from watchers are answered by the runtime, without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
    void ctx.blockConcurrencyWhile(async () => {
      this.#load();
      // A checkpoint window left open by the previous instance: write its kept leases soon.
      this.#scheduleCheckpoint();
      await this.#alarm.load();
    });
  }

  /**
   * Rebuilds the core from storage, migrating it first. An object that never held a cluster is
   * left without any schema (`create` is false): a request naming an unknown cluster then costs
   * no storage at all, instead of leaving an empty database behind for every name tried.
   */
  #load({ create = false } = {}): void {
    const sql = this.ctx.storage.sql;
    const migrate = create || hasSchema(sql);
    if (migrate) applyMigrations(this.ctx.storage);
    const store = (this.#store = new SqlStore(sql));
    this.#core = new ClusterCore(store, migrate ? store.load() : EMPTY_SNAPSHOT, {
      ...DEFAULT_CORE_OPTIONS,
      rateBurst: numberVar(this.env.NODE_RATE_BURST, 1, DEFAULT_CORE_OPTIONS.rateBurst),
      renewalCheckpointMs: numberVar(this.env.RENEWAL_CHECKPOINT_MS, 0, DEFAULT_CORE_OPTIONS.renewalCheckpointMs),
    });
  }

  /**
   * Runs one core operation at the current time, then moves the alarm if it has to and, when
   * the version moved, wakes long-polls and brings watchers up to date.
   */
  async #apply<T>(operation: (now: number) => Outcome<T>, { reads = false } = {}): Promise<Outcome<T>> {
    const version = this.#core.version;
    const now = Date.now();
    // Reads (handouts, 304s) stay out of SQLite: whatever is due is expired first, in its own
    // transaction, and the read itself then only touches memory.
    if (reads && this.#core.wakeAt !== null && now >= this.#core.wakeAt) this.#atomically(() => this.#core.expireDue(now));
    const outcome = reads ? operation(now) : this.#atomically(() => operation(now));
    if (this.#core.version !== version) this.#changed();
    this.#scheduleCheckpoint();
    await this.#alarm.sync(this.#core.wakeAt);
    return outcome;
  }

  /**
   * A timer, not the alarm: it only matters while this instance lives (a restart applies the
   * core's restart rule instead), and it costs no storage write to arm.
   */
  #scheduleCheckpoint(delayMs?: number): void {
    const at = this.#core.renewalCheckpointAt;
    if (at === null || this.#checkpointTimer !== null) return;
    this.#checkpointTimer = setTimeout(() => {
      this.#checkpointTimer = null;
      const due = this.#core.renewalCheckpointAt;
      if (due !== null && Date.now() >= due) {
        try {
          this.#atomically(() => this.#core.checkpointRenewals());
        } catch (err) {
          console.error(`ClusterDirectory renewal checkpoint failed; retrying in ${CHECKPOINT_RETRY_MS} ms:`, err);
          this.#scheduleCheckpoint(CHECKPOINT_RETRY_MS);
          return;
        }
      }
      this.#scheduleCheckpoint();
    }, delayMs ?? Math.max(0, at - Date.now()));
  }

  /**
   * Memory and storage move together or not at all: the core's writes are collected while it
   * runs and then applied in one SQLite transaction (none at all when there are none, as for a
   * plain renewal). If anything throws, nothing was written or the transaction rolls back, and
   * the core is rebuilt from storage, so no half-applied change survives in memory (a retried
   * alarm then sees everything that was due as still due).
   */
  #atomically<T>(operation: () => T): T {
    if (this.#reloadNeeded) {
      this.#load();
      this.#reloadNeeded = false;
    }
    try {
      const { result, writes } = this.#store.collectWrites(operation);
      if (writes.length > 0) this.ctx.storage.transactionSync(() => this.#store.applyWrites(writes));
      return result;
    } catch (err) {
      // Storage may be unreadable right now too (the fault that made this fail): then rebuild
      // before the next operation instead.
      try {
        this.#load();
      } catch {
        this.#reloadNeeded = true;
      }
      throw err;
    }
  }

  #changed(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
    for (const ws of this.ctx.getWebSockets()) this.#bringUpToDate(ws);
  }

  #bringUpToDate(ws: WebSocket): void {
    const watch = ws.deserializeAttachment() as WatchAttachment | null;
    if (!watch) return;
    const standing = this.#core.watchStanding(watch.node, watch.tokenHash);
    if (standing === "credential-gone") {
      ws.close(CLOSE_CREDENTIAL_GONE, "the node credential was revoked or replaced; register again with a join token");
      return;
    }
    if (standing === "blocked") {
      ws.close(CLOSE_BLOCKED, "the node is blocked by an operator");
      return;
    }
    const update = this.#core.watchUpdate(watch.node, watch.limit, watch.version);
    if (!update) return;
    ws.send(update.message);
    ws.serializeAttachment({ ...watch, version: this.#core.version } satisfies WatchAttachment);
  }

  /** Resolves on the next version change, or after `ms`. */
  #nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        resolve();
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.add(wake);
    });
  }

  // ---- node API --------------------------------------------------------------------------

  async register(call: RegisterCall): Promise<Outcome<RegisterResult>> {
    let fresh: RegisterInput["fresh"];
    if (this.#core.isJoinToken(call.tokenHash)) {
      const credential = newSecret(NODE_CREDENTIAL_PREFIX);
      fresh = { credential, hash: await sha256Hex(credential) };
    }
    return this.#apply((now) => this.#core.register({ ...call, now, fresh }));
  }

  leave(call: NodeCall): Promise<Outcome<null>> {
    return this.#apply((now) => this.#core.leave({ ...call, now }));
  }

  /** The handout; with `waitSeconds` and a current ETag, held until the version moves (long-poll). */
  async peers({ waitSeconds, ...call }: PeersCall): Promise<Outcome<PeersResult>> {
    const first = await this.#apply((now) => this.#core.peers({ ...call, now }), { reads: true });
    if (!waitSeconds || !first.ok || first.value.status !== 304) return first;
    await this.#nextChange(waitSeconds * 1000);
    return this.#apply((now) => this.#core.peers({ ...call, now, countRequest: false }), { reads: true });
  }

  /** A watch upgrade, handed over by the Worker after it validated the request. */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const header = (name: string) => request.headers.get(name) ?? "";
    const watch: WatchAttachment = {
      cluster: header(WATCH_HEADERS.cluster),
      node: header(WATCH_HEADERS.node),
      tokenHash: header(WATCH_HEADERS.tokenHash),
      limit: url.searchParams.has("limit") ? Number(url.searchParams.get("limit")) : undefined,
      observedIp: request.headers.get(WATCH_HEADERS.observedIp),
      version: 0,
    };
    const since = url.searchParams.has("since") ? Number(url.searchParams.get("since")) : null;
    const allowed = await this.#apply((now) => this.#core.startWatch({ cluster: watch.cluster, node: watch.node, tokenHash: watch.tokenHash, now }), { reads: true });
    if (!allowed.ok) return problemResponse(allowed.problem);

    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server, [watch.node]);
    const first = this.#core.watchUpdate(watch.node, watch.limit, since);
    if (first) server.send(first.message);
    server.serializeAttachment({ ...watch, version: this.#core.version } satisfies WatchAttachment);
    const offered = request.headers.get("Sec-WebSocket-Protocol")?.split(",").map((p) => p.trim()) ?? [];
    const protocol = offered.includes(WATCH_SUBPROTOCOL) ? { "Sec-WebSocket-Protocol": WATCH_SUBPROTOCOL } : undefined;
    return new Response(null, { status: 101, webSocket: client, headers: protocol });
  }

  /** A watcher renewing its lease over the socket: `{"type":"renew","addrs":[…],…}`. */
  async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const watch = ws.deserializeAttachment() as WatchAttachment | null;
    if (!watch) return;
    const message = parseWatchMessage(raw);
    if (message.type === "invalid") {
      ws.send(JSON.stringify({ type: "error", status: 400, detail: message.detail }));
      return;
    }
    const { body } = message;
    const outcome = await this.#apply((now) =>
      this.#core.register({
        cluster: watch.cluster,
        node: watch.node,
        tokenHash: watch.tokenHash,
        addrs: body.addrs.map((a) => (checkAddr(a) as { canonical: string }).canonical),
        labels: body.labels,
        ttlSeconds: body.ttlSeconds,
        observedIp: watch.observedIp,
        now,
      }),
    );
    ws.send(JSON.stringify(outcome.ok ? { type: "renewed", ...outcome.value.body } : { type: "error", status: outcome.problem.status, detail: outcome.problem.detail }));
  }

  async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    ws.close(echoableCloseCode(code), reason);
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    ws.close(1011, "watch failed");
  }

  // ---- admin API -------------------------------------------------------------------------

  async createCluster(name: string): Promise<Outcome<CreateClusterResponse>> {
    const joinToken = newSecret(JOIN_TOKEN_PREFIX);
    const now = Date.now();
    const record = { id: newTokenId(), hash: await sha256Hex(joinToken), createdAt: now, expiresAt: null };
    if (!this.#core.exists) this.#load({ create: true });
    const created = this.#core.createCluster(name, now, record);
    if (!created.ok) return created;
    return ok({ name, joinToken, joinTokenId: record.id, createdAt: new Date(now).toISOString() });
  }

  /** The cluster as the admin views show it; whatever is due expires first, so counts are current. */
  summary(cluster: string) {
    return this.#apply(() => this.#core.summary(cluster), { reads: true });
  }

  forceExpire(cluster: string) {
    return this.#apply((now) => this.#core.forceExpire({ cluster, now, actor: ADMIN_ACTOR }));
  }

  updateSettings(cluster: string, patch: ClusterSettingsPatch) {
    return this.#apply((now) => this.#core.updateSettings({ cluster, now, actor: ADMIN_ACTOR }, patch));
  }

  /** Deletes every trace of the cluster: storage, alarm, memory. The name may be created again. */
  async destroyCluster(cluster: string): Promise<Outcome<null>> {
    const exists = this.#core.summary(cluster);
    if (!exists.ok) return exists;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#load();
    await this.#alarm.load();
    return ok(null);
  }

  async createJoinToken(cluster: string, expiresAt: number | null): Promise<Outcome<CreatedJoinToken>> {
    const token = newSecret(JOIN_TOKEN_PREFIX);
    const now = Date.now();
    const record = { id: newTokenId(), hash: await sha256Hex(token), createdAt: now, expiresAt };
    const created = this.#core.createJoinToken({ cluster, now, actor: ADMIN_ACTOR }, record);
    if (!created.ok) return created;
    return ok({ id: record.id, token, createdAt: new Date(now).toISOString(), expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString() });
  }

  async listJoinTokens(cluster: string) {
    return this.#core.listJoinTokens(cluster);
  }

  revokeJoinToken(cluster: string, id: string) {
    return this.#apply((now) => this.#core.revokeJoinToken({ cluster, now, actor: ADMIN_ACTOR }, id));
  }

  nodesView(cluster: string) {
    return this.#apply(() => this.#core.nodesView(cluster), { reads: true });
  }

  evict(cluster: string, node: string, reason: string) {
    return this.#apply((now) => this.#core.evict({ cluster, now, actor: ADMIN_ACTOR }, node, reason));
  }

  revokeCredential(cluster: string, node: string) {
    return this.#apply((now) => this.#core.revokeCredential({ cluster, now, actor: ADMIN_ACTOR }, node));
  }

  async setOverride(cluster: string, node: string, input: OverrideInput): Promise<Outcome<Override>> {
    const outcome = await this.#apply((now) => this.#core.setOverride({ cluster, now, actor: ADMIN_ACTOR }, node, input));
    return outcome.ok ? ok(presentOverride(outcome.value)) : outcome;
  }

  liftOverride(cluster: string, node: string) {
    return this.#apply((now) => this.#core.liftOverride({ cluster, now, actor: ADMIN_ACTOR }, node));
  }

  async listOverrides(cluster: string): Promise<Outcome<Override[]>> {
    const outcome = this.#core.listOverrides(cluster);
    return outcome.ok ? ok(outcome.value.map(presentOverride)) : outcome;
  }

  handoutPreview(cluster: string, node: string, limit: number | undefined) {
    return this.#apply((now) => this.#core.handoutPreview(cluster, node, limit, now), { reads: true });
  }

  async auditPage(cluster: string, limit: number, beforeSeq: number | null): Promise<Outcome<AuditPage>> {
    const outcome = this.#core.auditPage(cluster, limit, beforeSeq);
    return outcome.ok ? ok({ entries: outcome.value.entries.map(presentAudit), next: outcome.value.next }) : outcome;
  }

  /**
   * Writes the renewals held in memory now, as the object does by itself within
   * RENEWAL_CHECKPOINT_MS of each; tests use it to stop an object after its checkpoint.
   */
  checkpointRenewals(): void {
    this.#atomically(() => this.#core.checkpointRenewals());
  }

  // ---- alarm -----------------------------------------------------------------------------

  async alarm(info?: AlarmInvocationInfo): Promise<void> {
    this.#alarm.fired();
    const version = this.#core.version;
    try {
      this.#atomically(() => this.#core.expireDue(Date.now()));
      if (this.#core.version !== version) this.#changed();
    } catch (err) {
      if ((info?.retryCount ?? 0) < ALARM_RETRY_LIMIT) throw err;
      console.error(`ClusterDirectory alarm failed ${info?.retryCount} times; re-arming in ${ALARM_REARM_MS} ms:`, err);
      await this.#alarm.retryIn(ALARM_REARM_MS);
      return;
    }
    await this.#alarm.sync(this.#core.wakeAt);
  }
}
