/**
 * The local handouts derived from the directory's peer list, computed once per change.
 *
 * The directory sorts peers by node id, so every agent would hand its consumer the same first
 * peer, and spegel's newer bootstrapper uses only the first three entries: the whole cluster
 * would bootstrap off the same few nodes. So each agent orders its handouts by rendezvous
 * (highest-random-weight) hashing of (own node id, peer node id): the order differs per node,
 * and stays put while membership is stable; a departure only removes the departed peer's slot.
 */
import { createHash } from "node:crypto";
import type { Peer } from "../../contract/schemas.js";
import { type AddrInfo, addrInfosFromMultiaddrs, k3sFromAddrInfo } from "./formats.js";

export interface Handouts {
  /** k3s `/v1-<program>/p2p` strings, in rendezvous order. */
  k3s: string[];
  /** spegel newer HTTP bootstrapper entries, in rendezvous order; `ID` may be "". */
  bootstrap: AddrInfo[];
  /** spegel v0.4–v0.7 `/id`: the first entry with a known peer id, or null when none has one. */
  id: AddrInfo | null;
}

function weight(self: string, peer: string): bigint {
  return createHash("sha256").update(self).update("\0").update(peer).digest().readBigUInt64BE(0);
}

/** Peers ordered by descending rendezvous weight for `self`; ties (never in practice) by id. */
export function rendezvousOrder<T extends { id: string }>(self: string, peers: readonly T[]): T[] {
  return peers
    .map((peer) => ({ peer, w: weight(self, peer.id) }))
    .sort((a, b) => (a.w === b.w ? (a.peer.id < b.peer.id ? -1 : 1) : a.w > b.w ? -1 : 1))
    .map((x) => x.peer);
}

export function buildHandouts(self: string, peers: readonly Peer[]): Handouts {
  const bootstrap = rendezvousOrder(self, peers).flatMap((p) => addrInfosFromMultiaddrs(p.addrs));
  return {
    k3s: bootstrap.flatMap(k3sFromAddrInfo),
    bootstrap,
    id: bootstrap.find((info) => info.ID !== "") ?? null,
  };
}
