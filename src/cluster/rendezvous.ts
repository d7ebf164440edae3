/**
 * Rendezvous (highest-random-weight) hashing: which k peers a requester gets.
 *
 * Each (requester, peer) pair gets a pseudo-random weight; a requester takes the k peers with
 * the highest weights. The choice depends only on the pair, so it is stable while membership is
 * stable, and when a peer leaves only the requesters that held it get one replacement. The hash
 * is a fast non-cryptographic 53-bit mix (cyrb53): this is load spreading, not security.
 */
export function pairWeight(requester: string, peer: string): number {
  return weightFrom(requesterSeed(requester), peer);
}

/**
 * The hash state after a requester's id and the separator: a requester weighing many peers (a
 * watcher checked against every join) pays for its own id once, not once per peer.
 */
export type RequesterSeed = readonly [number, number];

export function requesterSeed(requester: string): RequesterSeed {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < requester.length; i++) {
    const code = requester.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  // separator: ("ab","c") and ("a","bc") must differ
  h1 = Math.imul(h1, 2654435761);
  h2 = Math.imul(h2, 1597334677);
  return [h1, h2];
}

/** `pairWeight(requester, peer)` from the requester's seed. */
export function weightFrom(seed: RequesterSeed, peer: string): number {
  let h1 = seed[0];
  let h2 = seed[1];
  for (let i = 0; i < peer.length; i++) {
    const code = peer.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * The k candidates with the highest weight for `requester`, in the input's order.
 * O(n log k): one pass that keeps a small sorted window, so a 10,000-node cluster costs one
 * hash per peer and no full sort.
 */
export function rendezvousPick<T>(requester: string, candidates: readonly T[], k: number, idOf: (c: T) => string): T[] {
  if (k >= candidates.length) return candidates.slice();
  const top: { index: number; weight: number }[] = [];
  const seed = requesterSeed(requester);
  for (let index = 0; index < candidates.length; index++) {
    const weight = weightFrom(seed, idOf(candidates[index]));
    if (top.length === k && weight <= top[k - 1].weight) continue;
    let at = top.length;
    while (at > 0 && top[at - 1].weight < weight) at--;
    top.splice(at, 0, { index, weight });
    if (top.length > k) top.pop();
  }
  return top
    .map((t) => t.index)
    .sort((a, b) => a - b)
    .map((i) => candidates[i]);
}
