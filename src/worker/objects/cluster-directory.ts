/**
 * The ClusterDirectory Durable Object: one per cluster, addressed by the cluster's name (which
 * it reads from its own id), holding the cluster in a `ClusterCore`.
 *
 * A thin adapter: storage (migrations, the SQL store, one transaction per operation), the alarm,
 * the watch sockets (kept by `WatchSockets`) and the secrets it mints. Every entry point (RPC, `fetch`, `webSocketMessage`,
 * `alarm`) goes through one gate, `#gate`, which rebuilds a stale core, runs the operation under
 * the same atomicity guarantee, wakes long-polls and watchers when the version moved, keeps the
 * alarm at the core's next due time (coalesced: at most one expiry check every EXPIRY_CHECK_MS),
 * and words refusals as problems. It never makes an outbound request: it answers from its own
 * state only.
 *
 * Socket-held leases: a watcher's `ping` is answered by the runtime (setWebSocketAutoResponse),
 * which records when; no JavaScript runs and nothing is written. The core reads those times
 * (`LeaseSignals`) only when an expiry check comes due, and when it loads (every wake from
 * hibernation is a load: the core's restart grace then covers leases no socket holds).
 */
import { DurableObject } from "cloudflare:workers";
import type { AuditPage, ClusterSettingsPatch, CreatedJoinToken, NodeList, Override } from "../../contract/admin.js";
import type { ClusterExport, ImportResult } from "../../contract/export.js";
import { fail, ok, type Outcome, problem } from "../../contract/problem.js";
import type { CreateClusterResponse } from "../../contract/schemas.js";
import {
  type AuditFilter,
  type ClusterSummary,
  ClusterCore,
  EMPTY_SNAPSHOT,
  type LeaseSignals,
  type OverrideInput,
  type PeersInput,
  type RegisterInput,
  type Result,
} from "../../cluster/cluster-core.js";
import { isoOrNull } from "../../cluster/present.js";
import { adminActor } from "../../cluster/records.js";
import { done } from "../../cluster/refusals.js";
import { etagMatches, etagOf } from "../etag.js";
import { problemResponse, refusalProblem } from "../refusals.js";
import { reportRetired } from "../revocations.js";
import { exportCluster, holdsState, replaceWithImport } from "../storage/cluster-export.js";
import { applyMigrations, hasSchema } from "../storage/migrations.js";
import { SqlStore } from "../storage/sql-store.js";
import { mintJoinToken, mintNodeCredential } from "../token-mac.js";
import { asResponse, coreOptions, type NodeCall, type PeersCall, type PeersReply, type PeersResult, peersReply, type RegisterFields, type RegisterReply } from "./calls.js";
import { LongPolls } from "./long-polls.js";
import { ObjectMetrics } from "./object-metrics.js";
import { SingleAlarm } from "./single-alarm.js";
import { WatchSockets } from "./watch-sockets.js";
import { echoableCloseCode, renewalReply, watchRequest } from "./watchers.js";

/** Expiry checks (alarms) are at least this far apart, however many leases come due. */
export const EXPIRY_CHECK_MS = 5_000;

/** After this many failed alarm runs, stop throwing (the runtime gives up after 6) and re-arm. */
const ALARM_RETRY_LIMIT = 5;
const ALARM_REARM_MS = 30_000;

/** An admin operation at `now` by the admin token named `by` (the audit's actor; `root` for the ADMIN_TOKEN). */
const admin = (now: number, by: string) => ({ now, actor: adminActor(by) });

const NO_WATCHERS: ReadonlySet<string> = new Set();

interface GateOptions {
  /** Reads stay out of SQLite: whatever is due is expired first, in its own transaction. */
  reads?: boolean;
  /** The operation creates the cluster: storage gets its schema first. */
  create?: boolean;
}

export class ClusterDirectory extends DurableObject<Env> {
  #core!: ClusterCore;
  #store!: SqlStore;
  readonly #alarm: SingleAlarm;
  /** Set when a failed operation could not rebuild the core from storage at once. */
  #reloadNeeded = false;
  readonly #longPolls = new LongPolls();
  readonly #sockets: WatchSockets;
  /** When the last expiry check (alarm) ran, for coalescing the next one. */
  #lastCheckAt = 0;
  readonly #signals: LeaseSignals = { lastSeen: () => this.#sockets.lastSeenByNode() };
  readonly #metrics = new ObjectMetrics();
  /** Token hashes the current operation stopped honouring: told to the catalog once it committed. */
  #retired: string[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#alarm = new SingleAlarm(ctx.storage);
    this.#sockets = new WatchSockets(ctx, () => this.#core);
    void ctx.blockConcurrencyWhile(async () => {
      this.#load();
      // Sockets still open after a wake were brought to the version the object hibernated at.
      this.#sockets.resumeFrom(this.#core.version);
      await this.#alarm.load();
    });
  }

  /** The cluster this object holds: the name the Worker addressed it by. */
  get #name(): string {
    return this.ctx.id.name ?? "";
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
    this.#store = new SqlStore(sql);
    const store = this.#store;
    // Every load is a restart as far as the leases know: what memory held is gone. The grace it
    // writes goes straight to SQLite (no operation is collecting writes yet).
    this.#core = new ClusterCore(
      store,
      migrate ? store.load() : EMPTY_SNAPSHOT,
      { ...coreOptions(this.env), onAudit: (action) => this.#metrics.counters.audited(action), onTokenRetired: (hash) => this.#retired.push(hash) },
      { loadedAt: Date.now(), signals: this.#signals },
    );
  }

  /** The alarm at the core's next due time, but no sooner than EXPIRY_CHECK_MS after the last check. */
  #syncAlarm(): Promise<void> {
    const wakeAt = this.#core.wakeAt;
    return this.#alarm.sync(wakeAt === null ? null : Math.max(wakeAt, this.#lastCheckAt + EXPIRY_CHECK_MS));
  }

  /** A failed operation left the core stale and storage could not be read then: rebuild it now. */
  #reloadIfNeeded(): void {
    if (!this.#reloadNeeded) return;
    this.#load();
    this.#reloadNeeded = false;
  }

  /** The one way in (see the header): runs one core operation at the current time. */
  async #gate<T>(operation: (now: number) => Result<T>, { reads = false, create = false }: GateOptions = {}): Promise<Outcome<T>> {
    this.#reloadIfNeeded();
    if (create && !this.#core.exists) this.#load({ create: true });
    const version = this.#core.version;
    const now = Date.now();
    if (reads && this.#core.wakeAt !== null && now >= this.#core.wakeAt) this.#atomically(() => this.#core.expireDue(now));
    const result = reads ? operation(now) : this.#atomically(() => operation(now));
    if (this.#core.version !== version) this.#changed();
    if (this.#retired.length > 0) await reportRetired(this.env, this.#retired.splice(0));
    await this.#syncAlarm();
    return result.ok ? result : fail(refusalProblem(result.refusal, this.#name));
  }

  /**
   * Memory and storage move together or not at all: the core's writes are collected while it
   * runs and then applied in one SQLite transaction (none at all when there are none, as for a
   * plain renewal). If anything throws, nothing was written or the transaction rolls back, and
   * the core is rebuilt from storage, so no half-applied change survives in memory (a retried
   * alarm then sees everything that was due as still due).
   */
  #atomically<T>(operation: () => T): T {
    this.#reloadIfNeeded();
    try {
      const { result, writes } = this.#store.collectWrites(operation);
      if (writes.length > 0) this.ctx.storage.transactionSync(() => this.#store.applyWrites(writes));
      return result;
    } catch (err) {
      this.#retired.length = 0; // rolled back: still honoured
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
    this.#longPolls.wakeAll();
    this.#sockets.changed();
  }

  // ---- node API --------------------------------------------------------------------------

  /** A registration or renewal; `observedIp` is the client's address as the edge saw it. */
  async register(node: string, tokenHash: string, observedIp: string | null, fields: RegisterFields): Promise<RegisterReply> {
    const fresh: RegisterInput["fresh"] = this.#core.isJoinToken(tokenHash) ? await mintNodeCredential(this.#name, node, this.env) : undefined;
    const outcome = await this.#gate((now) => this.#core.register({ ...fields, node, tokenHash, observedIp, now, fresh }));
    const counted = this.#metrics.registered(outcome, this.#metrics.transports.of(node, NO_WATCHERS) ?? "unknown");
    if (!counted.ok) return counted;
    const body = JSON.stringify(counted.value.body);
    return counted.value.created ? ok({ status: 201 as const, body }) : body;
  }

  async leave(call: NodeCall): Promise<Outcome<null>> {
    return this.#metrics.refused(await this.#gate((now) => this.#core.leave({ ...call, now })));
  }

  /** The handout; with `waitSeconds` and a current ETag, held until the version moves (long-poll). */
  async peers(node: string, tokenHash: string, ifNoneMatch: string | null, limit?: number, since?: number, waitSeconds?: number): Promise<PeersReply> {
    const outcome = await this.#handout({ node, tokenHash, limit, since, ifNoneMatch, waitSeconds });
    return outcome.ok ? peersReply(outcome.value) : outcome;
  }

  async #handout({ waitSeconds, ifNoneMatch, ...call }: PeersCall): Promise<Outcome<PeersResult>> {
    const holds = ifNoneMatch ? (version: number) => etagMatches(ifNoneMatch, etagOf(version)) : undefined;
    const first = await this.#gate((now) => this.#answerPeers({ ...call, now, holds }), { reads: true });
    if (first.ok) this.#metrics.transports.noteRead(call.node, waitSeconds !== undefined && waitSeconds > 0);
    if (!waitSeconds || !first.ok || first.value.status !== 304) return this.#metrics.handout(first);
    await this.#longPolls.next(waitSeconds * 1000);
    return this.#metrics.handout(await this.#gate((now) => this.#answerPeers({ ...call, now, holds, countRequest: false }), { reads: true }));
  }

  #answerPeers(input: PeersInput): Result<PeersResult> {
    const answered = this.#core.peers(input);
    return answered.ok ? asResponse(answered.value) : answered;
  }

  /** A watch upgrade, handed over by the Worker after it validated the request. */
  async fetch(request: Request): Promise<Response> {
    const { watch, since } = watchRequest(request);
    const allowed = this.#metrics.refused(await this.#gate((now) => this.#core.startWatch({ node: watch.node, tokenHash: watch.tokenHash, now }), { reads: true }));
    return allowed.ok ? this.#sockets.accept(request, watch, since) : problemResponse(allowed.problem);
  }

  /** A watcher renewing its lease over the socket: `{"type":"renew","addrs":[…],…}`. */
  async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const input = this.#sockets.renewal(ws, raw);
    if (input === null) return;
    const outcome = await this.#gate((now) => this.#core.register({ ...input, now }));
    ws.send(renewalReply(this.#metrics.registered(outcome, "watch")));
  }

  async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    await this.#socketEnded(ws);
    ws.close(echoableCloseCode(code), reason);
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    await this.#socketEnded(ws);
    ws.close(1011, "watch failed");
  }

  /**
   * A watch socket ended: unless another socket of the node is still open, its lease counts down
   * its TTL from the socket's last sign of life, and that expiry is written.
   */
  async #socketEnded(ws: WebSocket): Promise<void> {
    const ended = this.#sockets.ended(ws);
    if (ended === null) return;
    try {
      await this.#gate(() => {
        this.#core.socketClosed(ended.node, ended.lastSeen);
        return done(null);
      });
    } catch (err) {
      console.error("ClusterDirectory could not record a closed watch:", err);
    }
  }

  // ---- admin API -------------------------------------------------------------------------

  async createCluster(by: string): Promise<Outcome<CreateClusterResponse>> {
    const { token, secret: joinToken } = await mintJoinToken(this.#name, this.env);
    return this.#gate(
      (now) => {
        const created = this.#core.createCluster(this.#name, now, { ...token, createdAt: now, expiresAt: null }, adminActor(by));
        return created.ok ? done({ name: this.#name, joinToken, joinTokenId: token.id, createdAt: new Date(now).toISOString() }) : created;
      },
      { create: true },
    );
  }

  /** The cluster as the admin views show it; whatever is due expires first, so counts are current. */
  summary(): Promise<Outcome<ClusterSummary>> {
    return this.#gate(() => this.#core.summary(), { reads: true });
  }

  forceExpire(by: string): Promise<Outcome<{ expired: number }>> {
    return this.#gate((now) => this.#core.forceExpire(admin(now, by)));
  }

  updateSettings(patch: ClusterSettingsPatch, by: string): Promise<Outcome<ClusterSummary>> {
    return this.#gate((now) => this.#core.updateSettings(admin(now, by), patch));
  }

  /** Deletes every trace of the cluster: storage, alarm, memory. The name may be created again. */
  async destroyCluster(): Promise<Outcome<null>> {
    const exists = await this.#gate(() => this.#core.summary(), { reads: true });
    if (!exists.ok) return exists;
    const snapshot = this.#store.load();
    await reportRetired(this.env, [...snapshot.joinTokens.map((t) => t.hash), ...snapshot.nodes.map((n) => n.credentialHash)]);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#load();
    await this.#alarm.load();
    return ok(null);
  }

  /** The cluster as an export document (contract/export.ts); whatever is due expires first. */
  async exportCluster(): Promise<Outcome<ClusterExport>> {
    const exists = await this.summary();
    return exists.ok ? ok(exportCluster(this.ctx.storage.sql, Date.now()) as ClusterExport) : exists;
  }

  /** Loads an export into this object, which holds no cluster, or one without nodes or overrides. */
  async importCluster(doc: ClusterExport): Promise<Outcome<ImportResult>> {
    this.#reloadIfNeeded();
    if (this.#core.exists && holdsState(this.ctx.storage.sql)) {
      return fail(problem("conflict", `cluster "${this.#name}" already has nodes or overrides; import into an empty cluster (delete it first)`));
    }
    const loaded = await replaceWithImport(this.ctx.storage, doc);
    this.#load();
    if (typeof loaded === "string") return fail(problem("bad-request", `the export could not be loaded: ${loaded}`));
    this.#changed();
    await this.#syncAlarm();
    return ok(loaded);
  }

  async createJoinToken(expiresAt: number | null, by: string): Promise<Outcome<CreatedJoinToken>> {
    const { token, secret } = await mintJoinToken(this.#name, this.env);
    return this.#gate((now) => {
      const created = this.#core.createJoinToken(admin(now, by), { ...token, createdAt: now, expiresAt });
      return created.ok ? done({ id: token.id, token: secret, createdAt: new Date(now).toISOString(), expiresAt: isoOrNull(expiresAt) }) : created;
    });
  }

  listJoinTokens(): Promise<Outcome<{ id: string; createdAt: string; expiresAt: string | null }[]>> {
    return this.#gate(() => this.#core.listJoinTokens(), { reads: true });
  }

  revokeJoinToken(id: string, by: string): Promise<Outcome<null>> {
    return this.#gate((now) => this.#core.revokeJoinToken(admin(now, by), id));
  }

  /**
   * The nodes view with each node's transport. With `waitSeconds`, while the version is still
   * `since`, held until it moves or the time passes (the console follows a cluster this way).
   */
  async nodesView(waitSeconds = 0, since: number | null = null): Promise<Outcome<NodeList>> {
    if (waitSeconds > 0 && since === this.#core.version && this.#core.exists) await this.#longPolls.next(waitSeconds * 1000);
    const outcome = await this.#gate(() => this.#core.nodesView(), { reads: true });
    if (!outcome.ok) return outcome;
    // Open sockets only: a socket being closed (a blocked node's) no longer follows anything.
    const watching = new Set(this.#sockets.lastSeenByNode().keys());
    this.#metrics.transports.retain(new Set(outcome.value.map((row) => row.id)));
    return ok({ version: this.#core.version, nodes: outcome.value.map((row) => ({ ...row, transport: this.#metrics.transports.of(row.id, watching) })) });
  }

  evict(node: string, reason: string, by: string): Promise<Outcome<null>> {
    return this.#gate((now) => this.#core.evict(admin(now, by), node, reason));
  }

  revokeCredential(node: string, by: string): Promise<Outcome<null>> {
    return this.#gate((now) => this.#core.revokeCredential(admin(now, by), node));
  }

  setOverride(node: string, input: OverrideInput, by: string): Promise<Outcome<Override>> {
    return this.#gate((now) => this.#core.setOverride(admin(now, by), node, input));
  }

  liftOverride(node: string, by: string): Promise<Outcome<null>> {
    return this.#gate((now) => this.#core.liftOverride(admin(now, by), node));
  }

  listOverrides(): Promise<Outcome<Override[]>> {
    return this.#gate(() => this.#core.listOverrides(), { reads: true });
  }

  handoutPreview(node: string, limit: number | undefined): Promise<Outcome<string>> {
    return this.#gate((now) => this.#core.handoutPreview(node, limit, now), { reads: true });
  }

  auditPage(limit: number, beforeSeq: number | null, filter: AuditFilter = {}): Promise<Outcome<AuditPage>> {
    return this.#gate(() => this.#core.auditPage(limit, beforeSeq, filter), { reads: true });
  }

  /** The cluster's metrics in Prometheus text, from memory only: no storage read or write. */
  async metrics(): Promise<Outcome<string>> {
    const summary = await this.summary();
    return summary.ok ? ok(this.#metrics.exposition(this.#name, this.#core, summary.value, this.#sockets.count)) : summary;
  }

  // ---- alarm -----------------------------------------------------------------------------

  async alarm(info?: AlarmInvocationInfo): Promise<void> {
    this.#alarm.fired();
    this.#lastCheckAt = Date.now();
    try {
      await this.#gate((now) => done(this.#core.expireDue(now)));
    } catch (err) {
      if ((info?.retryCount ?? 0) < ALARM_RETRY_LIMIT) throw err;
      console.error(`ClusterDirectory alarm failed ${info?.retryCount} times; re-arming in ${ALARM_REARM_MS} ms:`, err);
      await this.#alarm.retryIn(ALARM_REARM_MS);
    }
  }
}
