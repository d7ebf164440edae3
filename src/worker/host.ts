/**
 * What differs between the directory's two hosts, Cloudflare and self-hosted workerd (the release
 * tarball and `peerdir serve`, configured by scripts/directory/config.mjs). Everything else, the
 * Worker, the objects and their SQLite storage, is the same code on both.
 *
 * - The client's address. Cloudflare sets the CF-Connecting-IP header on every request (a client
 *   cannot forge it there). workerd reports the connection's peer address as `request.cf.clientIp`
 *   ("ip:port"), and the self-hosted config strips any CF-Connecting-IP a client sends.
 * - AUTH_FAILURES: Cloudflare's Rate Limiting binding there; on workerd, the in-process limiter
 *   of self-hosted-limiter.ts, with the same `limit({ key })` and the same limit and period.
 * - ANALYTICS: an optional Analytics Engine dataset on Cloudflare; absent when self-hosted.
 * - Durability: Cloudflare replicates each object's storage; self-hosted, it is one SQLite file
 *   per object under the data directory, on one host.
 */

interface ClientRequest {
  header(name: string): string | undefined;
  raw: Request;
}

/** The "ip:port" or "[ip6]:port" workerd reports, without the port. */
function withoutPort(address: string): string {
  if (address.startsWith("[")) return address.slice(1, address.indexOf("]"));
  const colon = address.lastIndexOf(":");
  return colon > 0 && address.indexOf(":") === colon ? address.slice(0, colon) : address;
}

/** The client's IP address as this host sees it, or null when the host does not say. */
export function clientAddress(req: ClientRequest): string | null {
  const peer = (req.raw.cf as { clientIp?: unknown } | undefined)?.clientIp;
  if (typeof peer === "string" && peer) return withoutPort(peer);
  return req.header("CF-Connecting-IP") ?? null;
}
