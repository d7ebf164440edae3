/**
 * The ClusterDirectory's RPC shapes as the Worker's routes call them, the handout answer as the
 * routes send it, and the core's options from the Worker's `[vars]`.
 *
 * The hot calls (a renewal, a handout read) cross the RPC boundary as plain strings wherever
 * they can: structured-cloning objects both ways costs more than the rest of the route. A
 * renewal's 200 is its JSON body, rendered by the object; a handout answer is one string (the
 * ETag, then the body when there is one). Refusals and the rare 201 stay objects.
 */
import type { ProblemInit } from "../../contract/problem.js";
import { DEFAULT_CORE_OPTIONS, type CoreOptions, type NodeRequest, type PeersAnswer, type PeersInput, type RegisterInput, type Result } from "../../cluster/cluster-core.js";
import { REACHABILITY_WINDOW_MS } from "../../cluster/reachability.js";
import { done } from "../../cluster/refusals.js";
import { etagOf } from "../etag.js";

export type NodeCall = Omit<NodeRequest, "now">;
/** What a registration says besides who asks: the validated request body, addresses canonical. */
export type RegisterFields = Pick<RegisterInput, "addrs" | "labels" | "ttlSeconds" | "ready" | "reports" | "consumers">;
export type PeersCall = Omit<PeersInput, "now" | "countRequest" | "holds"> & { ifNoneMatch?: string | null; waitSeconds?: number };
export type PeersResult = { status: 304; etag: string } | { status: 200; etag: string; body: string };

/** A refusal crossing the RPC boundary: the route throws it as a problem. */
export type RefusedCall = { ok: false; problem: ProblemInit };

/** A registration's answer: the JSON body of a 200 (a renewal), or a new lease's 201, or a refusal. */
export type RegisterReply = string | { ok: true; value: { status: 201; body: string } } | RefusedCall;

/** A handout answer: the ETag alone for 304, else the ETag, a newline and the JSON body (ETags hold no newline). */
export type PeersReply = string | RefusedCall;

export const peersReply = (result: PeersResult): string => (result.status === 304 ? result.etag : `${result.etag}\n${result.body}`);

/** The ETag and, unless the answer is 304, the body of a `peersReply`. */
export function readPeersReply(reply: string): { etag: string; body: string | null } {
  const cut = reply.indexOf("\n");
  return cut < 0 ? { etag: reply, body: null } : { etag: reply.slice(0, cut), body: reply.slice(cut + 1) };
}

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
