/**
 * The ClusterDirectory's RPC shapes as the Worker's routes call them, the handout answer as the
 * routes send it, and the core's options from the Worker's `[vars]`.
 */
import { DEFAULT_CORE_OPTIONS, type CoreOptions, type NodeRequest, type PeersAnswer, type PeersInput, type RegisterInput, type Result } from "../../cluster/cluster-core.js";
import { REACHABILITY_WINDOW_MS } from "../../cluster/reachability.js";
import { done } from "../../cluster/refusals.js";
import { etagOf } from "../etag.js";

export type NodeCall = Omit<NodeRequest, "now">;
export type RegisterCall = Omit<RegisterInput, "now" | "fresh">;
export type PeersCall = Omit<PeersInput, "now" | "countRequest" | "holds"> & { ifNoneMatch?: string | null; waitSeconds?: number };
export type PeersResult = { status: 304; etag: string } | { status: 200; etag: string; body: string };

/** The cluster's answer as the route sends it: 304 when the ETag matched, else the body. */
export const asResponse = ({ version, body }: PeersAnswer): Result<PeersResult> =>
  done(body === null ? { status: 304, etag: etagOf(version) } : { status: 200, etag: etagOf(version), body });

/** A numeric `[vars]` entry, or the default when it is missing, not a number or below `min`. */
function numberVar(raw: string | undefined, min: number, fallback: number): number {
  const value = Number(raw);
  return raw !== undefined && Number.isFinite(value) && value >= min ? value : fallback;
}

export function coreOptions(env: Env): CoreOptions {
  return {
    ...DEFAULT_CORE_OPTIONS,
    rateBurst: numberVar(env.NODE_RATE_BURST, 1, DEFAULT_CORE_OPTIONS.rateBurst),
    reachabilityWindowMs: numberVar(env.REACHABILITY_WINDOW_MS, 1_000, REACHABILITY_WINDOW_MS),
  };
}
