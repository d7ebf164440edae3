/**
 * The local handouts derived from the directory's peer list, computed once per change.
 *
 * The directory sorts peers by node id, so every agent would hand its consumer the same first
 * peer, and spegel's newer bootstrapper uses only the first three entries: the whole cluster
 * would bootstrap off the same few nodes. So each agent orders its handouts by rendezvous
 * (highest-random-weight) hashing of (own node id, peer node id): the order differs per node,
 * and stays put while membership is stable; a departure only removes the departed peer's slot.
 */
import { crypto } from "../builtins.js";
import { handoutTier, orderByTier } from "../../contract/reachability.js";
import type { Peer } from "../../contract/schemas.js";
import { type AddrInfo, addrInfosFromMultiaddrs, k3sFromAddrInfo } from "./formats.js";

export interface Handouts {
  /** k3s `/v1-<program>/p2p` strings, in rendezvous order. */
  k3s: string[];
  /** spegel newer HTTP bootstrapper entries, in rendezvous order; `ID` may be "". */
  bootstrap: AddrInfo[];
  /** spegel v0.4–v0.7 `/id`: the first reachable entry with a known peer id (see pickId), or null when none has one. */
  id: AddrInfo | null;
}

/** This node's own latest probe of a peer: "ok", "failed", "unknown", or null when none yet. */
export type LocalResult = (id: string) => "ok" | "failed" | "unknown" | null;

function weight(self: string, peer: string): bigint {
  return crypto.createHash("sha256").update(self).update("\0").update(peer).digest().readBigUInt64BE(0);
}

/** Peers ordered by descending rendezvous weight for `self`; ties (never in practice) by id. */
export function rendezvousOrder<T extends { id: string }>(self: string, peers: readonly T[]): T[] {
  return peers
    .map((peer) => ({ peer, w: weight(self, peer.id) }))
    .sort((a, b) => (a.w === b.w ? (a.peer.id < b.peer.id ? -1 : 1) : a.w > b.w ? -1 : 1))
    .map((x) => x.peer);
}

/**
 * Builds the local handouts. Their order is the directory's reachability order (ready and
 * reachable peers first, then unknown, then unreachable, not-ready last), each tier in this
 * node's rendezvous order. `/id` serves one peer, so it takes the first that answers (see pickId).
 */
export function buildHandouts(self: string, peers: readonly Peer[], local: LocalResult = () => null): Handouts {
  const ordered = orderByTier(rendezvousOrder(self, peers), handoutTier);
  const bootstrap = ordered.flatMap((p) => addrInfosFromMultiaddrs(p.addrs));
  return {
    k3s: bootstrap.flatMap(k3sFromAddrInfo),
    bootstrap,
    id: pickId(ordered, local),
  };
}

/**
 * The peer `/id` serves: the first with a peer id that is reachable (this node's own latest
 * probe succeeded, or, before it has probed, the directory says reachable); failing that, the
 * first not known to be down (not failed here, not unreachable or not-ready there); failing that,
 * the first with a peer id at all, so a cluster that cannot be probed still bootstraps. This
 * node's own probe outranks the directory's verdict: a partition can be one-sided.
 */
function pickId(ordered: readonly Peer[], local: LocalResult): AddrInfo | null {
  let fallback: AddrInfo | null = null;
  let anyWithId: AddrInfo | null = null;
  for (const peer of ordered) {
    const info = addrInfosFromMultiaddrs(peer.addrs).find((i) => i.ID !== "");
    if (!info) continue;
    anyWithId ??= info;
    const mine = local(peer.id);
    if (mine === "ok" || ((mine === null || mine === "unknown") && peer.reachability === "reachable" && peer.ready !== false)) return info;
    if (mine !== "failed" && peer.reachability !== "unreachable" && peer.ready !== false) fallback ??= info;
  }
  return fallback ?? anyWithId;
}
