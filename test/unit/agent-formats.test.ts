import { describe, expect, it } from "vitest";
import {
  addrInfoFromK3s,
  addrInfosFromMultiaddrs,
  checkAddrShape,
  joinP2p,
  k3sFromAddrInfo,
  k3sFromMultiaddrs,
  multiaddrsFromAddrInfo,
  splitP2p,
} from "../../src/agent/outputs/formats.js";

const ED = "12D3KooWQYYD1DDK4HCYgXHiVaPLVBVpUMpZzDXjHZTJsU9rZPGR";
const QM = "QmYhKqgZLrFbduFUSvuWJbDCZ1TbSU8ZMTDFUNA8s7U4ca";

describe("multiaddr <-> /p2p split", () => {
  it("splits a trailing /p2p id off", () => {
    expect(splitP2p(`/ip4/10.0.0.1/tcp/5001/p2p/${ED}`)).toEqual({ transport: "/ip4/10.0.0.1/tcp/5001", id: ED });
    expect(splitP2p(`/ip6/::1/udp/5001/quic-v1/p2p/${QM}`)).toEqual({ transport: "/ip6/::1/udp/5001/quic-v1", id: QM });
  });

  it("reads the legacy /ipfs name", () => {
    expect(splitP2p(`/dns4/a.example/tcp/1/ipfs/${QM}`)).toEqual({ transport: "/dns4/a.example/tcp/1", id: QM });
  });

  it("leaves an address without a peer id whole", () => {
    expect(splitP2p("/ip4/10.0.0.1/tcp/5001")).toEqual({ transport: "/ip4/10.0.0.1/tcp/5001", id: null });
    expect(splitP2p("/dnsaddr/bootstrap.example")).toEqual({ transport: "/dnsaddr/bootstrap.example", id: null });
  });

  it("joins back to the same string", () => {
    const addr = `/ip4/10.0.0.1/tcp/5001/p2p/${ED}`;
    const { transport, id } = splitP2p(addr);
    expect(joinP2p(transport, id!)).toBe(addr);
  });
});

describe("multiaddrs -> AddrInfo", () => {
  it("lifts the peer id into ID and strips it from Addrs", () => {
    expect(addrInfosFromMultiaddrs([`/ip4/10.0.0.1/tcp/5001/p2p/${ED}`, `/ip4/10.0.0.1/udp/5001/quic-v1/p2p/${ED}`])).toEqual([
      { ID: ED, Addrs: ["/ip4/10.0.0.1/tcp/5001", "/ip4/10.0.0.1/udp/5001/quic-v1"] },
    ]);
  });

  it("gives addresses without an id the node's one peer id", () => {
    expect(addrInfosFromMultiaddrs(["/ip6/fd00::1/tcp/5001", `/ip4/10.0.0.1/tcp/5001/p2p/${ED}`])).toEqual([
      { ID: ED, Addrs: ["/ip6/fd00::1/tcp/5001", "/ip4/10.0.0.1/tcp/5001"] },
    ]);
  });

  it('uses ID "" when no address names a peer id', () => {
    expect(addrInfosFromMultiaddrs(["/ip4/10.0.0.1/tcp/5001"])).toEqual([{ ID: "", Addrs: ["/ip4/10.0.0.1/tcp/5001"] }]);
  });

  it("keeps conflicting peer ids apart and leaves id-less addresses unattributed", () => {
    expect(addrInfosFromMultiaddrs([`/ip4/10.0.0.1/tcp/1/p2p/${ED}`, `/ip4/10.0.0.2/tcp/1/p2p/${QM}`, "/ip4/10.0.0.3/tcp/1"])).toEqual([
      { ID: ED, Addrs: ["/ip4/10.0.0.1/tcp/1"] },
      { ID: QM, Addrs: ["/ip4/10.0.0.2/tcp/1"] },
      { ID: "", Addrs: ["/ip4/10.0.0.3/tcp/1"] },
    ]);
  });

  it("drops duplicate addresses", () => {
    expect(addrInfosFromMultiaddrs([`/ip4/10.0.0.1/tcp/1/p2p/${ED}`, "/ip4/10.0.0.1/tcp/1"])).toEqual([{ ID: ED, Addrs: ["/ip4/10.0.0.1/tcp/1"] }]);
  });

  it("returns nothing for no addresses", () => {
    expect(addrInfosFromMultiaddrs([])).toEqual([]);
  });
});

describe("AddrInfo -> multiaddrs and k3s strings", () => {
  it("round-trips multiaddrs with a peer id", () => {
    const addrs = [`/ip4/10.0.0.1/tcp/5001/p2p/${ED}`, `/ip4/10.0.0.1/udp/5001/quic-v1/p2p/${ED}`];
    const [info] = addrInfosFromMultiaddrs(addrs);
    expect(multiaddrsFromAddrInfo(info!)).toEqual(addrs);
  });

  it("keeps id-less addresses bare", () => {
    expect(multiaddrsFromAddrInfo({ ID: "", Addrs: ["/ip4/10.0.0.1/tcp/5001"] })).toEqual(["/ip4/10.0.0.1/tcp/5001"]);
  });

  it('makes k3s\'s "<multiaddr>/p2p/<id>" strings', () => {
    expect(k3sFromAddrInfo({ ID: QM, Addrs: ["/ip4/172.16.0.5/tcp/5001", "/ip6/fd00::5/tcp/5001"] })).toEqual([
      `/ip4/172.16.0.5/tcp/5001/p2p/${QM}`,
      `/ip6/fd00::5/tcp/5001/p2p/${QM}`,
    ]);
  });

  it("gives k3s nothing for an unknown id (k3s needs one)", () => {
    expect(k3sFromAddrInfo({ ID: "", Addrs: ["/ip4/10.0.0.1/tcp/5001"] })).toEqual([]);
  });
});

describe("k3s string -> AddrInfo", () => {
  it("parses k3s's format", () => {
    expect(addrInfoFromK3s(`/ip4/172.16.0.5/tcp/5001/p2p/${QM}`)).toEqual({ ID: QM, Addrs: ["/ip4/172.16.0.5/tcp/5001"] });
  });

  it("rejects a string without a peer id or without a transport", () => {
    expect(addrInfoFromK3s("/ip4/172.16.0.5/tcp/5001")).toBeNull();
    expect(addrInfoFromK3s(`/p2p/${QM}`)).toBeNull();
  });

  it("round-trips through AddrInfo", () => {
    const s = `/dns4/node-a.example/tcp/5001/p2p/${ED}`;
    expect(k3sFromAddrInfo(addrInfoFromK3s(s)!)).toEqual([s]);
  });
});

describe("multiaddrs -> k3s strings", () => {
  it("includes addresses that have or can get a peer id, and only those", () => {
    expect(k3sFromMultiaddrs(["/ip6/fd00::1/tcp/5001", `/ip4/10.0.0.1/tcp/5001/p2p/${ED}`])).toEqual([`/ip6/fd00::1/tcp/5001/p2p/${ED}`, `/ip4/10.0.0.1/tcp/5001/p2p/${ED}`]);
    expect(k3sFromMultiaddrs(["/ip4/10.0.0.1/tcp/5001"])).toEqual([]);
  });
});

describe("checkAddrShape (the local --addr check)", () => {
  it.each([
    "/ip4/10.0.0.1/tcp/5001",
    `/ip4/10.0.0.1/tcp/5001/p2p/${ED}`,
    `/ip6/fd00::1/udp/5001/quic-v1/p2p/${QM}`,
    "/dns4/node-a.example.com/tcp/5001",
    "/dnsaddr/bootstrap.example.com",
  ])("accepts %s", (addr) => {
    expect(checkAddrShape(addr)).toBeNull();
  });

  it.each([
    ["10.0.0.1:5001", "starts with '/'"],
    ["/ip4/10.0.0.300/tcp/5001", "not an IPv4"],
    ["/ip4/10.0.0.1", "followed by /tcp"],
    ["/ip4/10.0.0.1/tcp/99999", "not a port"],
    ["/ip4/10.0.0.1/tcp/5001/p2p/not-an-id!", "not a libp2p peer id"],
    ["/ip4/10.0.0.1/tcp/5001/ws", "unsupported"],
    ["/unix/tmp/sock", "must start with"],
  ])("rejects %s", (addr, reason) => {
    expect(checkAddrShape(addr)).toContain(reason);
  });
});
