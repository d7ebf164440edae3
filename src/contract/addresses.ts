/**
 * Which multiaddrs a node may advertise, and their canonical form.
 *
 * Parsing is done by `@multiformats/multiaddr`; this module only decides which protocol stacks
 * make sense for a peer directory and checks that a trailing `/p2p/<id>` is a real libp2p peer
 * id (an identity multihash of at most 42 bytes, or a sha2-256 multihash). Renewals re-send the
 * same addresses every time, so verdicts are memoised in a small bounded cache: the hot path
 * parses each distinct address once.
 */
import { multiaddr } from "@multiformats/multiaddr";
import { base58btc } from "multiformats/bases/base58";
import * as Digest from "multiformats/hashes/digest";

export const MAX_ADDR_LENGTH = 256;

const HOSTS = new Set(["ip4", "ip6", "dns4", "dns6", "dnsaddr"]);
const IDENTITY = 0x00;
const SHA2_256 = 0x12;
const MAX_IDENTITY_DIGEST = 42;

export type AddrVerdict = { ok: true; canonical: string } | { ok: false; reason: string };

/** True for the string form of a libp2p peer id (base58btc multihash, identity or sha2-256). */
export function isPeerId(value: string): boolean {
  try {
    const digest = Digest.decode(base58btc.baseDecode(value));
    if (digest.code === IDENTITY) return digest.digest.length <= MAX_IDENTITY_DIGEST;
    return digest.code === SHA2_256 && digest.digest.length === 32;
  } catch {
    return false;
  }
}

function judge(input: string): AddrVerdict {
  if (input.length > MAX_ADDR_LENGTH) return { ok: false, reason: `longer than ${MAX_ADDR_LENGTH} characters` };
  let components;
  let canonical: string;
  try {
    const parsed = multiaddr(input);
    components = parsed.getComponents();
    canonical = parsed.toString();
  } catch (err) {
    return { ok: false, reason: `not a multiaddr (${(err as Error).message})` };
  }
  const names = components.map((c) => c.name);
  let i = 0;
  if (!HOSTS.has(names[i] ?? "")) {
    return { ok: false, reason: "must start with /ip4, /ip6, /dns4, /dns6 or /dnsaddr" };
  }
  const host = names[i++];
  if (names[i] === "tcp") i++;
  else if (names[i] === "udp") {
    i++;
    if (names[i] === "quic-v1") i++;
  } else if (host !== "dnsaddr") {
    return { ok: false, reason: "the host must be followed by /tcp/<port> or /udp/<port>" };
  }
  if (names[i] === "p2p") {
    const id = components[i].value ?? "";
    if (!isPeerId(id)) return { ok: false, reason: `/p2p/${id} is not a valid libp2p peer id` };
    i++;
  }
  if (i !== names.length) {
    return { ok: false, reason: `unsupported protocol /${names[i]} (allowed: host, then tcp or udp[/quic-v1], then optional /p2p/<peer id>)` };
  }
  return { ok: true, canonical };
}

const CACHE_LIMIT = 4096;
const verdicts = new Map<string, AddrVerdict>();

/** Validates one advertised address; results are memoised (bounded, oldest evicted first). */
export function checkAddr(input: string): AddrVerdict {
  const cached = verdicts.get(input);
  if (cached) return cached;
  const verdict = judge(input);
  if (verdicts.size >= CACHE_LIMIT) verdicts.delete(verdicts.keys().next().value as string);
  verdicts.set(input, verdict);
  return verdict;
}
