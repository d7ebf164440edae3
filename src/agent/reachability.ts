/**
 * The agent's side of reachability: its self-check and its peer probes, and what of them rides
 * on the next renewal (`ready` while it is false, and the probe results the directory has not
 * acknowledged yet). Nothing here sends a request of its own: over HTTP, reports go with the
 * renewals the agent makes anyway; on the watch, whose pings hold the lease, only results that
 * changed (a peer went from ok to failed, or got its first result) go, as one socket message, so
 * a steady state sends nothing.
 */
import { type Cidr, inAnyRange, parseCidr } from "../contract/cidr.js";
import type { RegisterResponse, Reports } from "../contract/schemas.js";
import type { RenewalFields } from "./lease.js";
import { type ProbeDeps, type ProbePermit, type ProbeResult, ProbeScheduler } from "./probes.js";
import { SELF_CHECK_INTERVAL_MS, SelfCheck } from "./self-check.js";

/** Probe results older than this are not reported (the directory counts about 3 minutes anyway). */
const MAX_REPORT_AGE_SECONDS = 3600;
/**
 * Reports per renewal, in (an upper bound of) JSON bytes: half the directory's 16 KiB body limit,
 * leaving the rest to addrs and labels. About 200 reports with short node ids.
 */
export const REPORT_BUDGET_BYTES = 8 * 1024;

export interface ReachabilityConfig {
  addrs: readonly string[];
  selfCheck: boolean;
  /** Seconds between two probes of the same peer. */
  probeInterval: number;
  /** False: probe no peer (--no-probes). */
  probing: boolean;
  /** Probe only addresses in these CIDR ranges (--probe-ranges); empty = any. */
  probeRanges: readonly string[];
}

/** What the directory says about probing in a registration's or renewal's answer (absent: no restriction). */
export type ClusterProbePolicy = RegisterResponse["probes"];

const ranges = (texts: readonly string[]): Cidr[] => texts.map(parseCidr).filter((r): r is Cidr => r !== null);

/**
 * What this agent may probe: both the agent's own flags and the cluster's settings must allow it,
 * so neither side can widen what the other restricts.
 */
export function probePermit(local: { probing: boolean; ranges: readonly Cidr[] }, cluster: ClusterProbePolicy): ProbePermit {
  // What the directory sent is read strictly: anything but a plain "on" is off, and ranges that
  // do not parse allow nothing rather than everything.
  if (!local.probing || (cluster !== undefined && cluster?.probing !== "on")) return () => false;
  const sent = Array.isArray(cluster?.ranges) ? cluster.ranges.filter((r): r is string => typeof r === "string") : [];
  const clusterRanges = ranges(sent);
  const restricted = cluster !== undefined && (!Array.isArray(cluster.ranges) || cluster.ranges.length > 0);
  return (target) => (local.ranges.length === 0 || inAnyRange(local.ranges, target.host)) && (!restricted || inAnyRange(clusterRanges, target.host));
}

export interface ReachabilityHooks {
  /** The self-check's answer changed: tell the directory soon. */
  onReadyChange: (ready: boolean) => void;
  /** A peer's probe result changed between ok and failed (or got its first one): local handouts may change. */
  onProbeChange: () => void;
  /** The cluster's probe settings changed what this agent probes (its first answer included when it restricts). */
  onClusterPolicy?: (policy: ClusterProbePolicy) => void;
}

export class AgentReachability {
  readonly probes: ProbeScheduler;
  readonly selfCheck: SelfCheck;
  #reportedUpTo = 0;
  /** The result the directory last took for each peer (from either kind of renewal). */
  readonly #reported = new Map<string, ProbeResult>();
  /** A result changed since changes were last looked for: a socket renewal may be due. */
  #changed = false;
  readonly #local: { probing: boolean; ranges: readonly Cidr[] };
  readonly #hooks: ReachabilityHooks;
  /** The cluster's policy as last answered, as JSON (to act on changes only). */
  #cluster = "";

  /** `probeDeps`: the probes' clock, timers and connect, for tests. */
  constructor(config: ReachabilityConfig, hooks: ReachabilityHooks, probeDeps: Partial<ProbeDeps> = {}) {
    const intervalMs = config.probeInterval * 1000;
    this.probes = new ProbeScheduler({ intervalMs, firstSpreadMs: Math.min(5_000, intervalMs) }, probeDeps, (_id, record, previous) => {
      if (previous?.result === record.result) return;
      this.#changed = true;
      hooks.onProbeChange();
    });
    this.#hooks = hooks;
    this.#local = { probing: config.probing, ranges: ranges(config.probeRanges) };
    this.probes.setPermits(probePermit(this.#local, undefined));
    this.selfCheck = new SelfCheck(config.addrs, { enabled: config.selfCheck, intervalMs: Math.min(SELF_CHECK_INTERVAL_MS, intervalMs), timeoutMs: 3_000 }, hooks.onReadyChange);
  }

  /** The cluster's probe policy from a registration's or renewal's answer; a change applies at once. */
  clusterPolicy(policy: ClusterProbePolicy): void {
    const key = policy ? JSON.stringify(policy) : "";
    if (key === this.#cluster) return;
    this.#cluster = key;
    this.probes.setPermits(probePermit(this.#local, policy));
    this.#hooks.onClusterPolicy?.(policy);
  }

  /** Runs the first self-check (so the first registration already says whether this node is ready). */
  start(): Promise<boolean> {
    return this.selfCheck.start();
  }

  stop(): void {
    this.selfCheck.stop();
    this.probes.stop();
  }

  get ready(): boolean {
    return this.selfCheck.ready;
  }

  /** This node's latest probe of a peer, if any. */
  result(id: string): ProbeResult | null {
    return this.probes.result(id)?.result ?? null;
  }

  /**
   * What the next renewal carries; `ready` only while false (the directory assumes true).
   * `changesOnly` (a renewal on the watch socket): only results that differ from what the
   * directory last took; cheap when none changed since the last look (no walk at all).
   */
  renewalFields(now: number, changesOnly = false): RenewalFields {
    const fields: RenewalFields = { upTo: this.#reportedUpTo };
    if (!this.selfCheck.ready) fields.ready = false;
    if (changesOnly && !this.#changed) return fields;
    if (changesOnly) this.#changed = false;
    const since = changesOnly ? 0 : this.#reportedUpTo;
    const fresh = [...this.probes.resultsSince(since)].filter(([id, record]) => !changesOnly || this.#reported.get(id) !== record.result).sort(([, a], [, b]) => a.at - b.at);
    const reports: Reports = {};
    let bytes = 0;
    let any = false;
    for (const [id, record] of fresh) {
      const ageSeconds = Math.max(0, Math.round((now - record.at) / 1000));
      if (ageSeconds > MAX_REPORT_AGE_SECONDS) continue;
      // The directory takes bodies up to 16 KiB: the oldest results go first, the rest with the next renewal.
      bytes += id.length + 42;
      if (bytes > REPORT_BUDGET_BYTES) {
        // The rest go with the next renewal (a socket one looks for changes again).
        if (changesOnly) this.#changed = true;
        else fields.upTo = record.at - 1;
        break;
      }
      reports[id] = { result: record.result, ageSeconds };
      any = true;
      if (!changesOnly) fields.upTo = record.at;
    }
    if (any) fields.reports = reports;
    return fields;
  }

  /** The directory took a renewal made with these fields: its reports need not be sent again. */
  acknowledge(fields: RenewalFields): void {
    if (fields.upTo > this.#reportedUpTo) this.#reportedUpTo = fields.upTo;
    if (!fields.reports) return;
    for (const id in fields.reports) this.#reported.set(id, fields.reports[id]!.result);
    // Peers that left the handout are forgotten here too (a returning one is reported afresh).
    if (this.#reported.size > this.probes.size) for (const id of this.#reported.keys()) if (!this.probes.result(id)) this.#reported.delete(id);
  }

  /** A socket renewal was lost with its socket: its changes go with the next renewal, whichever kind. */
  unacknowledged(): void {
    this.#changed = true;
  }

  /**
   * A new watch socket: the directory keeps evidence in memory only, so a restarted object has
   * forgotten what it took. The first socket renewal states every current result again (one
   * message per socket, not per ping).
   */
  restate(): void {
    this.#reported.clear();
    this.#changed = true;
  }
}
