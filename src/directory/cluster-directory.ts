/**
 * The ClusterDirectory Durable Object: one per cluster, addressed by the cluster's name.
 *
 * A thin adapter. It applies the schema migrations, loads the cluster into a `ClusterCore`,
 * exposes the core's operations as RPC methods, and keeps the single alarm at the core's next
 * due time. It never makes an outbound request: it answers from its own state only.
 */
import { DurableObject } from "cloudflare:workers";
import type { CreateClusterResponse } from "../contract/schemas.js";
import { ok, type Outcome } from "../problem.js";
import {
  ClusterCore,
  DEFAULT_CORE_OPTIONS,
  type NodeRequest,
  type PeersInput,
  type PeersResult,
  type RegisterInput,
  type RegisterResult,
} from "./cluster-core.js";
import { applyMigrations } from "./migrations.js";
import { DEFAULT_RATE_LIMIT } from "./rate-limit.js";
import { SingleAlarm } from "./single-alarm.js";
import { SqlStore } from "./sql-store.js";
import { JOIN_TOKEN_PREFIX, NODE_CREDENTIAL_PREFIX, newSecret, newTokenId, sha256Hex } from "./tokens.js";

/** After this many failed alarm runs, stop throwing (the runtime gives up after 6) and re-arm. */
const ALARM_RETRY_LIMIT = 5;
const ALARM_REARM_MS = 30_000;

function positiveNumber(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

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
      applyMigrations(ctx.storage);
      const store = new SqlStore(ctx.storage.sql);
      this.#core = new ClusterCore(store, store.load(), {
        ...DEFAULT_CORE_OPTIONS,
        rateLimit: {
          burst: positiveNumber(env.NODE_RATE_BURST, DEFAULT_RATE_LIMIT.burst),
          perSecond: positiveNumber(env.NODE_RATE_PER_SECOND, DEFAULT_RATE_LIMIT.perSecond),
        },
      });
      await this.#alarm.load();
    });
  }

  async createCluster(name: string): Promise<Outcome<CreateClusterResponse>> {
    const joinToken = newSecret(JOIN_TOKEN_PREFIX);
    const now = Date.now();
    const record = { id: newTokenId(), hash: await sha256Hex(joinToken), createdAt: now, expiresAt: null };
    const created = this.#core.createCluster(name, now, record);
    if (!created.ok) return created;
    return ok({ name, joinToken, createdAt: new Date(now).toISOString() });
  }

  async register(call: RegisterCall): Promise<Outcome<RegisterResult>> {
    let fresh: RegisterInput["fresh"];
    if (this.#core.isJoinToken(call.tokenHash)) {
      const credential = newSecret(NODE_CREDENTIAL_PREFIX);
      fresh = { credential, hash: await sha256Hex(credential) };
    }
    const outcome = this.#core.register({ ...call, now: Date.now(), fresh });
    await this.#alarm.sync(this.#core.wakeAt);
    return outcome;
  }

  async leave(call: NodeCall): Promise<Outcome<null>> {
    const outcome = this.#core.leave({ ...call, now: Date.now() });
    await this.#alarm.sync(this.#core.wakeAt);
    return outcome;
  }

  async peers(call: PeersCall): Promise<Outcome<PeersResult>> {
    const outcome = this.#core.peers({ ...call, now: Date.now() });
    await this.#alarm.sync(this.#core.wakeAt);
    return outcome;
  }

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
