/**
 * The `Feed` interface (how the agent hears about peer changes) and what every feed shares:
 * the host it runs in, and how a `GET …/peers` answer is acted on.
 *
 * A feed's `turn()` is called by the scheduler when `sync.feedAt` is due and no request of
 * the feed is in flight (`running` false). `poll` does its request in the turn; `long-poll` and
 * `watch` start theirs in the background and call `host.wake()` when it ends.
 */
import type { Random } from "../backoff.js";
import type { DirectoryClient, Reply } from "../directory-client.js";
import type { FailurePolicy } from "../failure-policy.js";
import { isRejection, type LeaseHolder, SLOW_RETRY_MS } from "../lease.js";
import type { Logger } from "../log.js";
import type { RequestCounter } from "../outputs/metrics.js";
import type { Sync } from "../sync.js";
import { parseHandout, type Transport, type TransportChange, type TransportPolicy } from "./transport.js";

export interface Feed {
  readonly transport: Transport;
  /** A request or socket of this feed is in flight. */
  readonly running: boolean;
  /** One turn: a poll, or the start of a long-poll or a watch. */
  turn(): Promise<void>;
  /** Ends what is in flight (a watch is closed; a held long-poll ends with the agent's abort). */
  stop(reason: string): void;
}

/** What a feed runs in: the agent's shared parts. */
export interface FeedHost {
  readonly node: string;
  readonly client: DirectoryClient;
  readonly log: Logger;
  readonly requests: RequestCounter;
  readonly failures: FailurePolicy;
  readonly lease: LeaseHolder;
  readonly sync: Sync;
  readonly transports: TransportPolicy;
  readonly random: Random;
  readonly signal: AbortSignal;
  readonly pollIntervalMs: number;
  stopped(): boolean;
  /** Wakes the scheduler (a background request ended). */
  wake(): void;
  /** Logs a transport change (already made in `transports`). */
  changed(change: TransportChange): void;
  /** The credential was dropped: stop every feed using it. */
  credentialDropped(): void;
}

export type FeedOutcome = "ok" | "not_modified" | "refused" | "failed";

/** The credential to feed with; without one the lease is gone and the scheduler registers first. */
export function feedCredential(host: FeedHost): string | null {
  const credential = host.lease.credential;
  if (!credential) host.lease.lost();
  return credential;
}

/** Acts on a `GET …/peers` answer (poll, long-poll, and the check after a failed watch upgrade). */
export function takeHandout(host: FeedHost, reply: Reply<unknown>): FeedOutcome {
  if (reply.outcome === "ok") {
    const update = parseHandout(reply.body);
    // A delta needs the list it applies to: one confirmed in this run at its base version.
    if (!update || (update.kind === "delta" && !host.sync.view.syncedThisRun)) {
      host.failures.record({ status: 0, detail: `${reply.detail}: unexpected body` });
      return "failed";
    }
    host.failures.record(reply);
    host.sync.synced(update, reply.etag);
    return "ok";
  }
  const verdict = host.failures.record(reply);
  if (reply.outcome === "not_modified") {
    host.sync.synced(null);
    return "not_modified";
  }
  if (verdict === "failed") return "failed";
  if (isRejection(reply)) {
    if (host.lease.rejected(reply, false)) host.credentialDropped();
    return "refused";
  }
  switch (reply.kind) {
    case "not-registered":
    case "not-found":
      // Registering again says why when it cannot (the cluster is gone, say).
      host.lease.lost();
      host.log.warn("lease lost (the directory has no live lease for this node); registering again", { node: host.node });
      return "refused";
    default:
      // A refusal this agent cannot act on: at most one line and one request a minute.
      host.log.warn("unexpected answer to a peers request; retrying in 60 s", { error: reply.detail });
      host.failures.holdFor(SLOW_RETRY_MS);
      return "refused";
  }
}
