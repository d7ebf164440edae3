/**
 * The agent's side of reachability: its self-check and its peer probes, and what of them rides
 * on the next renewal (`ready` while it is false, and the probe results the directory has not
 * acknowledged yet). Nothing here sends a request of its own: reports go with the renewals the
 * agent makes anyway, so steady state costs no extra request.
 */
import type { Reports } from "../contract/schemas.js";
import { type ProbeDeps, type ProbeResult, ProbeScheduler } from "./probes.js";
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
}

export interface ReachabilityHooks {
  /** The self-check's answer changed: tell the directory soon. */
  onReadyChange: (ready: boolean) => void;
  /** A peer's probe result changed between ok and failed (or got its first one): local handouts may change. */
  onProbeChange: () => void;
}

export interface RenewalFields {
  ready?: false;
  reports?: Reports;
  /** Acknowledge with this once the directory took the renewal. */
  upTo: number;
}

export class AgentReachability {
  readonly probes: ProbeScheduler;
  readonly selfCheck: SelfCheck;
  #reportedUpTo = 0;

  /** `probeDeps`: the probes' clock, timers and connect, for tests. */
  constructor(config: ReachabilityConfig, hooks: ReachabilityHooks, probeDeps: Partial<ProbeDeps> = {}) {
    const intervalMs = config.probeInterval * 1000;
    this.probes = new ProbeScheduler({ intervalMs, firstSpreadMs: Math.min(5_000, intervalMs) }, probeDeps, (_id, record, previous) => {
      if (previous?.result !== record.result) hooks.onProbeChange();
    });
    this.selfCheck = new SelfCheck(config.addrs, { enabled: config.selfCheck, intervalMs: Math.min(SELF_CHECK_INTERVAL_MS, intervalMs), timeoutMs: 3_000 }, hooks.onReadyChange);
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

  /** What the next renewal carries; `ready` only while false (the directory assumes true). */
  renewalFields(now: number): RenewalFields {
    const fields: RenewalFields = { upTo: this.#reportedUpTo };
    if (!this.selfCheck.ready) fields.ready = false;
    const fresh = [...this.probes.resultsSince(this.#reportedUpTo)].sort(([, a], [, b]) => a.at - b.at);
    const reports: Reports = {};
    let bytes = 0;
    let any = false;
    for (const [id, record] of fresh) {
      const ageSeconds = Math.max(0, Math.round((now - record.at) / 1000));
      if (ageSeconds > MAX_REPORT_AGE_SECONDS) continue;
      // The directory takes bodies up to 16 KiB: the oldest results go first, the rest with the next renewal.
      bytes += id.length + 42;
      if (bytes > REPORT_BUDGET_BYTES) {
        fields.upTo = record.at - 1;
        break;
      }
      reports[id] = { result: record.result, ageSeconds };
      any = true;
      fields.upTo = record.at;
    }
    if (any) fields.reports = reports;
    return fields;
  }

  /** The directory took a renewal made with `renewalFields(upTo)`: its reports need not be sent again. */
  acknowledge(upTo: number): void {
    if (upTo > this.#reportedUpTo) this.#reportedUpTo = upTo;
  }
}
