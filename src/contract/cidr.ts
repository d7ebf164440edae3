/**
 * Address ranges in CIDR notation (`127.0.0.0/8`, `fd00::/8`): parsing, and whether an IP lies
 * in one. The probe controls use them, the cluster's `probeRanges` setting and the agent's
 * `--probe-ranges`, so both sides read a range the same way. Plain code, no dependencies: the
 * agent's bundle and the Worker both import it.
 */

export interface Cidr {
  /** 4 bytes for IPv4, 16 for IPv6. */
  bytes: Uint8Array;
  prefix: number;
}

/** At most this many ranges in one setting. */
export const MAX_RANGES = 32;

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^(0|[1-9]\d{0,2})$/.test(parts[i]!)) return null;
    const n = Number(parts[i]);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = parseIpv4(part);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) out.push(Number.parseInt(part, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** An IPv4 or IPv6 address as bytes, or null when it is neither (a DNS name). */
export function parseIp(text: string): Uint8Array | null {
  return text.includes(":") ? parseIpv6(text.replace(/^\[|\]$/g, "")) : parseIpv4(text);
}

/** A range from `ADDRESS/PREFIX`, or null when it is not one. Host bits may be set (`10.1.2.3/8` is 10.0.0.0/8). */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const bytes = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!bytes || !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  return prefix <= bytes.length * 8 ? { bytes, prefix } : null;
}

/** Why `text` is not a range, or null when it is one. */
export function cidrProblem(text: string): string | null {
  return parseCidr(text) ? null : `${JSON.stringify(text)} is not an address range: write ADDRESS/PREFIX, e.g. 127.0.0.0/8 or fd00::/8`;
}

/** Whether `ip` (bytes) lies in `range`; an IPv4 address never lies in an IPv6 range, nor the reverse. */
export function cidrContains(range: Cidr, ip: Uint8Array): boolean {
  if (ip.length !== range.bytes.length) return false;
  const full = range.prefix >> 3;
  for (let i = 0; i < full; i++) if (ip[i] !== range.bytes[i]) return false;
  const rest = range.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[full]! & mask) === (range.bytes[full]! & mask);
}

/** Whether the host `host` (an IP, or a DNS name, which lies in no range) lies in any of `ranges`. */
export function inAnyRange(ranges: readonly Cidr[], host: string): boolean {
  const ip = parseIp(host);
  return ip !== null && ranges.some((range) => cidrContains(range, ip));
}
