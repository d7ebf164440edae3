// Which multiaddrs a node may advertise.
import { describe, expect, it } from "vitest";
import { checkAddr, isPeerId } from "../../src/contract/addresses.js";

const ED25519 = "12D3KooWQYYD1DDK4HCYgXHiVaPLVBVpUMpZzDXjHZTJsU9rZPGR";
const RSA = "QmYhKqgZLrFbduFUSvuWJbDCZ1TbSU8ZMTDFUNA8s7U4ca";

describe("addresses", () => {
  it.each([
    "/ip4/10.0.0.1/tcp/5001",
    `/ip4/10.0.0.1/tcp/5001/p2p/${ED25519}`,
    `/ip6/::1/udp/4001/quic-v1/p2p/${RSA}`,
    "/dns4/node.example/tcp/443",
    "/dns6/node.example/udp/443",
    `/dnsaddr/bootstrap.example/p2p/${ED25519}`,
    "/dnsaddr/bootstrap.example",
  ])("accepts %s", (addr) => {
    expect(checkAddr(addr)).toMatchObject({ ok: true });
  });

  it.each([
    ["", "must start"],
    ["/ip4/10.0.0.1", "followed by /tcp"],
    ["/tcp/5001", "must start"],
    ["/ip4/10.0.0.1/tcp/1/ws", "unsupported protocol /ws"],
    ["/ip4/10.0.0.1/tcp/99999", "not a multiaddr"],
    ["/ip4/10.0.0.1/tcp/1/p2p/QmNotReal", "not a valid libp2p peer id"],
    ["/ip4/10.0.0.1/tcp/1/p2p/1111", "not a valid libp2p peer id"],
    [`/ip4/1.2.3.4/tcp/1/${"x".repeat(300)}`, "longer than 256"],
  ])("rejects %s", (addr, reason) => {
    const verdict = checkAddr(addr);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toContain(reason);
  });

  it("canonicalises", () => {
    expect(checkAddr("/ip6/2001:0db8:0:0:0:0:0:1/tcp/1")).toEqual({ ok: true, canonical: "/ip6/2001:db8::1/tcp/1" });
    expect(checkAddr(`/ip4/1.2.3.4/tcp/1/ipfs/${ED25519}`)).toEqual({ ok: true, canonical: `/ip4/1.2.3.4/tcp/1/p2p/${ED25519}` });
  });

  it("knows peer ids", () => {
    expect(isPeerId(ED25519)).toBe(true);
    expect(isPeerId(RSA)).toBe(true);
    expect(isPeerId("12D3Koo")).toBe(false);
    expect(isPeerId("not base58 0OIl")).toBe(false);
  });
});
