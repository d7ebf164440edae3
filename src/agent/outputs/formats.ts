/**
 * Pure conversions between the three address shapes the agent speaks:
 *   - a multiaddr string, possibly ending in `/p2p/<peer id>` (what the directory stores);
 *   - a go-libp2p AddrInfo `{"ID","Addrs"}` with the `/p2p` part lifted out into `ID`
 *     (spegel's HTTP bootstrappers; `ID` may be "" for the newer one);
 *   - a k3s/RKE2 peer string `"<multiaddr>/p2p/<id>"` (k3s's `/v1-<program>/p2p`).
 *
 * No parsing library: the directory already validated and canonicalised every address, so the
 * agent only needs to split off a trailing peer id. `checkAddrShape` is a light local check of
 * `--addr` values so an obvious typo fails at start-up instead of at the first registration.
 */
import { isIP } from "node:net";

export interface AddrInfo {
  ID: string;
  Addrs: string[];
}

/** base58btc alphabet; a real peer id check needs multihash decoding, which the directory does. */
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{2,128}$/;

/** Splits a trailing `/p2p/<id>` (or the legacy `/ipfs/<id>`) off a multiaddr. */
export function splitP2p(addr: string): { transport: string; id: string | null } {
  const match = /^(.*)\/(?:p2p|ipfs)\/([^/]+)$/.exec(addr);
  if (!match || !PEER_ID.test(match[2]!)) return { transport: addr, id: null };
  return { transport: match[1]!, id: match[2]! };
}

/** `<transport>/p2p/<id>`: a full libp2p dial address, and exactly k3s's peer string. */
export function joinP2p(transport: string, id: string): string {
  return `${transport}/p2p/${id}`;
}

/**
 * Groups one node's multiaddrs into AddrInfos by peer id. Addresses without a `/p2p` part
 * belong to the node's peer id when all its addresses that have one agree on it; otherwise
 * (none, or conflicting ids) they form an entry with `ID: ""`, which spegel's newer
 * bootstrapper resolves by dialling. Order follows first appearance.
 */
export function addrInfosFromMultiaddrs(addrs: readonly string[]): AddrInfo[] {
  const split = addrs.map(splitP2p);
  const ids = [...new Set(split.map((s) => s.id).filter((id): id is string => id !== null))];
  const fallbackId = ids.length === 1 ? ids[0]! : "";
  const groups = new Map<string, string[]>();
  for (const { transport, id } of split) {
    if (transport === "") continue;
    const key = id ?? fallbackId;
    const list = groups.get(key) ?? [];
    if (!list.includes(transport)) list.push(transport);
    groups.set(key, list);
  }
  return [...groups].map(([ID, Addrs]) => ({ ID, Addrs }));
}

/** An AddrInfo back to multiaddrs (with `/p2p/<ID>` when the ID is known). */
export function multiaddrsFromAddrInfo(info: AddrInfo): string[] {
  return info.Addrs.map((a) => (info.ID ? joinP2p(a, info.ID) : a));
}

/** k3s peer strings for an AddrInfo; none when the ID is unknown, since k3s needs one. */
export function k3sFromAddrInfo(info: AddrInfo): string[] {
  return info.ID ? info.Addrs.map((a) => joinP2p(a, info.ID)) : [];
}

/** Parses a k3s peer string; null when it has no `/p2p/<id>` or nothing before it. */
export function addrInfoFromK3s(peer: string): AddrInfo | null {
  const { transport, id } = splitP2p(peer);
  return id && transport ? { ID: id, Addrs: [transport] } : null;
}

/** k3s peer strings for one node's multiaddrs: only addresses that have, or can get, a peer id. */
export function k3sFromMultiaddrs(addrs: readonly string[]): string[] {
  return addrInfosFromMultiaddrs(addrs).flatMap(k3sFromAddrInfo);
}

const HOSTS = new Set(["ip4", "ip6", "dns4", "dns6", "dnsaddr"]);
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/**
 * Null when `addr` has the shape the directory accepts (host, then tcp or udp[/quic-v1], then an
 * optional /p2p id; /dnsaddr may stand alone), else the reason it does not.
 */
export function checkAddrShape(addr: string): string | null {
  if (addr.length > 256) return "longer than 256 characters";
  if (!addr.startsWith("/")) return "a multiaddr starts with '/', e.g. /ip4/10.0.0.1/tcp/5001";
  const parts = addr.slice(1).split("/");
  let i = 0;
  const host = parts[i++] ?? "";
  if (!HOSTS.has(host)) return "must start with /ip4, /ip6, /dns4, /dns6 or /dnsaddr";
  const hostValue = parts[i++] ?? "";
  if (host === "ip4" && isIP(hostValue) !== 4) return `${JSON.stringify(hostValue)} is not an IPv4 address`;
  if (host === "ip6" && isIP(hostValue) !== 6) return `${JSON.stringify(hostValue)} is not an IPv6 address`;
  if (host.startsWith("dns") && !DNS_NAME.test(hostValue)) return `${JSON.stringify(hostValue)} is not a DNS name`;
  if (parts[i] === "tcp" || parts[i] === "udp") {
    const proto = parts[i++];
    const port = parts[i++] ?? "";
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return `${JSON.stringify(port)} is not a port`;
    if (proto === "udp" && parts[i] === "quic-v1") i++;
  } else if (host !== "dnsaddr") {
    return "the host must be followed by /tcp/<port> or /udp/<port>";
  }
  if (parts[i] === "p2p" || parts[i] === "ipfs") {
    const id = parts[i + 1] ?? "";
    if (!PEER_ID.test(id)) return `${JSON.stringify(id)} is not a libp2p peer id`;
    i += 2;
  }
  if (i !== parts.length) return `unsupported part /${parts.slice(i).join("/")}`;
  return null;
}
