/**
 * The per-cluster advertised-address policy: with `observed-ip`, a node may only advertise the
 * IP its requests come from, so a stolen join token cannot point other nodes at a victim.
 */
import { multiaddr } from "@multiformats/multiaddr";
import type { AddressPolicy } from "./records.js";

/** The IP in the observed client address, in the same canonical form multiaddr strings use. */
function canonicalIp(ip: string): string | null {
  try {
    return multiaddr(`/${ip.includes(":") ? "ip6" : "ip4"}/${ip}`).getComponents()[0].value ?? null;
  } catch {
    return null;
  }
}

/** null when the addresses may be advertised, else the reason they may not. */
export function addressPolicyViolation(policy: AddressPolicy, addrs: readonly string[], observedIp: string | null): string | null {
  if (policy === "any") return null;
  const observed = observedIp ? canonicalIp(observedIp) : null;
  if (!observed) return "the directory cannot see this request's client IP, and the cluster's addressPolicy is observed-ip";
  for (const addr of addrs) {
    const [, proto, host] = addr.split("/");
    if ((proto !== "ip4" && proto !== "ip6") || host !== observed) {
      return `${addr} is not an address of ${observed}, where this request came from; the cluster's addressPolicy is observed-ip`;
    }
  }
  return null;
}
