// Address ranges for the probe controls (src/contract/cidr.ts), read the same way by the agent
// (--probe-ranges) and the directory (a cluster's probeRanges).
import { describe, expect, it } from "vitest";
import { cidrContains, cidrProblem, inAnyRange, parseCidr, parseIp } from "../../src/contract/cidr.js";

const inRange = (range: string, ip: string) => cidrContains(parseCidr(range)!, parseIp(ip)!);

describe("parseIp", () => {
  it("reads IPv4 and IPv6 in their usual forms", () => {
    expect([...parseIp("127.0.0.1")!]).toEqual([127, 0, 0, 1]);
    expect([...parseIp("::1")!]).toEqual([...new Array(15).fill(0), 1]);
    expect([...parseIp("fd00::1:2")!].slice(0, 2)).toEqual([0xfd, 0]);
    expect([...parseIp("::ffff:10.0.0.1")!].slice(10)).toEqual([0xff, 0xff, 10, 0, 0, 1]);
    expect(parseIp("1:2:3:4:5:6:7:8")).not.toBeNull();
  });

  it("refuses what is not an address", () => {
    for (const bad of ["localhost", "256.0.0.1", "1.2.3", "01.2.3.4", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8:9", "g::1", ""]) expect(parseIp(bad)).toBeNull();
  });
});

describe("parseCidr and cidrProblem", () => {
  it("takes ADDRESS/PREFIX within the family's width", () => {
    expect(parseCidr("10.0.0.0/8")).toMatchObject({ prefix: 8 });
    expect(parseCidr("0.0.0.0/0")).toMatchObject({ prefix: 0 });
    expect(parseCidr("fd00::/8")).toMatchObject({ prefix: 8 });
    expect(parseCidr("::1/128")).toMatchObject({ prefix: 128 });
    for (const bad of ["10.0.0.0", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/8x", "seed.example/8", "/8"]) expect(parseCidr(bad)).toBeNull();
  });

  it("says how to write a range", () => {
    expect(cidrProblem("127.0.0.0/8")).toBeNull();
    expect(cidrProblem("127.0.0.1")).toBe('"127.0.0.1" is not an address range: write ADDRESS/PREFIX, e.g. 127.0.0.0/8 or fd00::/8');
  });
});

describe("cidrContains", () => {
  it("matches whole and partial bytes of the prefix", () => {
    expect(inRange("10.0.0.0/8", "10.255.1.2")).toBe(true);
    expect(inRange("10.0.0.0/8", "11.0.0.0")).toBe(false);
    expect(inRange("172.16.0.0/12", "172.31.255.255")).toBe(true);
    expect(inRange("172.16.0.0/12", "172.32.0.0")).toBe(false);
    expect(inRange("172.16.0.0/12", "172.15.255.255")).toBe(false);
    expect(inRange("192.168.1.7/32", "192.168.1.7")).toBe(true);
    expect(inRange("192.168.1.7/32", "192.168.1.8")).toBe(false);
    expect(inRange("10.1.2.3/8", "10.9.9.9")).toBe(true);
    expect(inRange("0.0.0.0/0", "203.0.113.1")).toBe(true);
    expect(inRange("fd00::/8", "fdff::1")).toBe(true);
    expect(inRange("fd00::/8", "fe80::1")).toBe(false);
    expect(inRange("2001:db8::/33", "2001:db8:7fff::1")).toBe(true);
    expect(inRange("2001:db8::/33", "2001:db8:8000::1")).toBe(false);
  });

  it("never mixes the families", () => {
    expect(inRange("0.0.0.0/0", "::1")).toBe(false);
    expect(inRange("::/0", "127.0.0.1")).toBe(false);
  });

  it("inAnyRange: a DNS name lies in no range", () => {
    const ranges = [parseCidr("127.0.0.0/8")!, parseCidr("::1/128")!];
    expect(inAnyRange(ranges, "127.3.2.1")).toBe(true);
    expect(inAnyRange(ranges, "::1")).toBe(true);
    expect(inAnyRange(ranges, "localhost")).toBe(false);
    expect(inAnyRange([], "127.0.0.1")).toBe(false);
  });
});
