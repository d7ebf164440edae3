/**
 * The ClusterDirectory Durable Object: one per cluster, addressed by the cluster's name.
 *
 * A thin adapter. It applies the schema migrations, loads the cluster into a `ClusterCore`,
 * exposes the core's operations as RPC methods, and keeps the single alarm at the core's next
 * due time. It never makes an outbound request: it answers from its own state only.
 */
import { DurableObject } from "cloudflare:workers";
import type { AuditPage, ClusterSettingsPatch, CreatedJoinToken, Override } from "../contract/admin.js";
import type { CreateClusterResponse } from "../contract/schemas.js";
import { ok, type Outcome } from "../problem.js";
import {
  ClusterCore,
  DEFAULT_CORE_OPTIONS,
  type NodeRequest,
  type OverrideInput,
  type PeersInput,
  type PeersResult,
  type RegisterInput,
  type RegisterResult,
} from "./cluster-core.js";
import { applyMigrations } from "./migrations.js";
import { presentAudit, presentOverride } from "./present.js";
import { ADMIN_ACTOR } from "./records.js";
import { SingleAlarm } from "./single-alarm.js";
import { SqlStore } from "./sql-store.js";
import { JOIN_TOKEN_PREFIX, NODE_CREDENTIAL_PREFIX, newSecret, newTokenId, sha256Hex } from "./tokens.js";

/** After this many failed alarm runs, stop throwing (the runtime gives up after 6) and re-arm. */
const ALARM_RETRY_LIMIT = 5;
const ALARM_REARM_MS = 30_000;

export type NodeCall = Omit<NodeRequest, "now">;
export type RegisterCall = Omit<RegisterInput, "now" | "fresh">;
export type PeersCall = Omit<PeersInput, "now">;

export class ClusterDirectory extends DurableObject<Env> {
  #core!: ClusterCore;
  readonly #alarm: SingleAlarm;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#alarm = new SingleAlarm(ctx.storage);
    void ctx.blockConcurrencyWhile(async () => {
      this.#load();
      await this.#alarm.load();
    });
  }

  #load(): void {
    applyMigrations(this.ctx.storage);
    const store = new SqlStore(this.ctx.storage.sql);
    const burst = Number(this.env.NODE_RATE_BURST);
    this.#core = new ClusterCore(store, store.load(), {
      ...DEFAULT_CORE_OPTIONS,
      rateBurst: Number.isFinite(burst) && burst >= 1 ? burst : DEFAULT_CORE_OPTIONS.rateBurst,
    });
  }

  /** Runs one core operation at the current time, then moves the alarm if it has to. */
  async #apply<T>(operation: (now: number) => Outcome<T>): Promise<Outcome<T>> {
    const outcome = operation(Date.now());
    await this.#alarm.sync(this.#core.wakeAt);
    return outcome;
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

  peers(call: PeersCall): Promise<Outcome<PeersResult>> {
    return this.#apply((now) => this.#core.peers({ ...call, now }));
  }

  // ---- admin API -------------------------------------------------------------------------

  async createCluster(name: string): Promise<Outcome<CreateClusterResponse>> {
    const joinToken = newSecret(JOIN_TOKEN_PREFIX);
    const now = Date.now();
    const record = { id: newTokenId(), hash: await sha256Hex(joinToken), createdAt: now, expiresAt: null };
    const created = this.#core.createCluster(name, now, record);
    if (!created.ok) return created;
    return ok({ name, joinToken, createdAt: new Date(now).toISOString() });
  }

  async summary(cluster: string) {
    return this.#core.summary(cluster);
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

  async nodesView(cluster: string) {
    return this.#core.nodesView(cluster);
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
    return this.#apply((now) => this.#core.handoutPreview(cluster, node, limit, now));
  }

  async auditPage(cluster: string, limit: number, beforeSeq: number | null): Promise<Outcome<AuditPage>> {
    const outcome = this.#core.auditPage(cluster, limit, beforeSeq);
    return outcome.ok ? ok({ entries: outcome.value.entries.map(presentAudit), next: outcome.value.next }) : outcome;
  }

  // ---- alarm -----------------------------------------------------------------------------

  async alarm(info?: AlarmInvocationInfo): Promise<void> {
    this.#alarm.fired();
    try {
      this.#core.expireDue(Date.now());
    } catch (err) {
      if ((info?.retryCount ?? 0) < ALARM_RETRY_LIMIT) throw err;
      console.error(`ClusterDirectory alarm failed ${info?.retryCount} times; re-arming in ${ALARM_REARM_MS} ms:`, err);
      await this.#alarm.retryIn(ALARM_REARM_MS);
      return;
    }
    await this.#alarm.sync(this.#core.wakeAt);
  }
}
