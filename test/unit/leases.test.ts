// Lease arithmetic and the per-node token bucket as plain modules.
import { describe, expect, it } from "vitest";
import { CLUSTER_DEFAULTS as DEFAULT_TTL_BOUNDS } from "../../src/contract/lease-policy.js";
import { grantTtl, renewAfterSeconds } from "../../src/cluster/leases.js";
import { TokenBuckets } from "../../src/cluster/rate-limit.js";

describe("grantTtl", () => {
  it("uses the default when none is asked for, and clamps to the bounds", () => {
    expect(grantTtl(undefined, DEFAULT_TTL_BOUNDS)).toBe(60);
    expect(grantTtl(1, DEFAULT_TTL_BOUNDS)).toBe(10);
    expect(grantTtl(10, DEFAULT_TTL_BOUNDS)).toBe(10);
    expect(grantTtl(300, DEFAULT_TTL_BOUNDS)).toBe(300);
    expect(grantTtl(3601, DEFAULT_TTL_BOUNDS)).toBe(3600);
    expect(grantTtl(Number.MAX_SAFE_INTEGER, DEFAULT_TTL_BOUNDS)).toBe(3600);
  });
});

describe("renewAfterSeconds", () => {
  it("is about a third of the TTL, jittered ±10%, at least 1 s", () => {
    expect(renewAfterSeconds(60, () => 0)).toBe(18);
    expect(renewAfterSeconds(60, () => 0.5)).toBe(20);
    expect(renewAfterSeconds(60, () => 0.999999)).toBe(22);
    expect(renewAfterSeconds(1, () => 0)).toBe(1);
    for (let i = 0; i < 100; i++) {
      const r = renewAfterSeconds(3600, Math.random);
      expect(r).toBeGreaterThanOrEqual(1080);
      expect(r).toBeLessThanOrEqual(1320);
    }
  });
});

describe("TokenBuckets", () => {
  it("allows a burst, then one per refill interval, per key", () => {
    const buckets = new TokenBuckets({ burst: 3, perSecond: 1 });
    const t = 1_000_000;
    expect([0, 1, 2].map(() => buckets.take("a", t))).toEqual([0, 0, 0]);
    expect(buckets.take("a", t)).toBe(1);
    expect(buckets.take("b", t)).toBe(0);
    expect(buckets.take("a", t + 1000)).toBe(0);
    expect(buckets.take("a", t + 1000)).toBe(1);
    expect(buckets.take("a", t + 60_000)).toBe(0); // refills up to the burst only
    expect([1, 2].map(() => buckets.take("a", t + 60_000))).toEqual([0, 0]);
    expect(buckets.take("a", t + 60_000)).toBe(1);
  });

  it("says how long to wait at slow rates", () => {
    const buckets = new TokenBuckets({ burst: 1, perSecond: 0.1 });
    expect(buckets.take("a", 0)).toBe(0);
    expect(buckets.take("a", 0)).toBe(10);
    expect(buckets.take("a", 5000)).toBe(5);
  });
});
