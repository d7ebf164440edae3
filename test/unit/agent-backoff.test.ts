import { describe, expect, it } from "vitest";
import { BACKOFF_CAP_MS, BACKOFF_MIN_MS, backoffCapForTtl, backoffDelayMs, clampRenewAfterSeconds, jitter, renewDelayMs, retryAfterMs } from "../../src/agent/backoff.js";

const fixed = (value: number) => () => value;

describe("backoffDelayMs (full jitter, 1 s to a 30 s cap)", () => {
  it("even the first retry is spread, over 1-2 s", () => {
    expect(backoffDelayMs(0, fixed(0))).toBe(1_000);
    expect(backoffDelayMs(0, fixed(1))).toBe(2_000);
    expect(backoffDelayMs(0, fixed(0.5))).toBe(1_500);
  });

  it("spans the whole range from the 1 s floor to the exponential ceiling", () => {
    expect(backoffDelayMs(3, fixed(0))).toBe(BACKOFF_MIN_MS);
    expect(backoffDelayMs(3, fixed(1))).toBe(16_000);
    expect(backoffDelayMs(3, fixed(0.5))).toBe(8_500);
  });

  it("never exceeds the 30 s cap, however many failures", () => {
    for (const attempt of [5, 6, 10, 100, 1e9, Number.MAX_SAFE_INTEGER]) {
      expect(backoffDelayMs(attempt, fixed(1))).toBe(BACKOFF_CAP_MS);
      expect(backoffDelayMs(attempt, fixed(0))).toBe(BACKOFF_MIN_MS);
    }
  });

  it("stays within [1 s, min(30 s, 2^(n+1) s)] for random draws", () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(BACKOFF_CAP_MS, 1_000 * 2 ** (attempt + 1));
      for (let i = 0; i < 200; i++) {
        const d = backoffDelayMs(attempt);
        expect(d).toBeGreaterThanOrEqual(BACKOFF_MIN_MS);
        expect(d).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it("a short lease lowers the cap to half its TTL, never below the 1 s floor", () => {
    expect(backoffCapForTtl(60)).toBe(BACKOFF_CAP_MS);
    expect(backoffCapForTtl(3600)).toBe(BACKOFF_CAP_MS);
    expect(backoffCapForTtl(10)).toBe(5_000);
    expect(backoffCapForTtl(1)).toBe(BACKOFF_MIN_MS);
    expect(backoffDelayMs(20, fixed(1), backoffCapForTtl(10))).toBe(5_000);
  });

  it("treats a negative attempt as the first", () => {
    expect(backoffDelayMs(-3, fixed(1))).toBe(2_000);
  });
});

describe("clampRenewAfterSeconds ([1 s, ttl/2])", () => {
  it("accepts a sane server value", () => {
    expect(clampRenewAfterSeconds(20, 60)).toBe(20);
  });

  it("never renews later than half the lease", () => {
    expect(clampRenewAfterSeconds(59, 60)).toBe(30);
    expect(clampRenewAfterSeconds(1e12, 60)).toBe(30);
  });

  it("never renews sooner than 1 s", () => {
    expect(clampRenewAfterSeconds(0, 60)).toBe(1);
    expect(clampRenewAfterSeconds(-5, 60)).toBe(1);
    expect(clampRenewAfterSeconds(0.001, 10)).toBe(1);
  });

  it("falls back to ttl/3 when the server value is missing or not a number", () => {
    expect(clampRenewAfterSeconds(undefined, 60)).toBe(20);
    expect(clampRenewAfterSeconds("20", 30)).toBe(10);
    expect(clampRenewAfterSeconds(Number.NaN, 60)).toBe(20);
    expect(clampRenewAfterSeconds(Infinity, 60)).toBe(20);
  });

  it("keeps the upper bound for a lease shorter than 2 s", () => {
    expect(clampRenewAfterSeconds(5, 1)).toBe(0.5);
  });
});

describe("renewDelayMs and jitter", () => {
  it("jitters by at most ±10 %", () => {
    expect(jitter(100, 0.1, fixed(0))).toBeCloseTo(90);
    expect(jitter(100, 0.1, fixed(1))).toBeCloseTo(110);
    expect(jitter(100, 0.1, fixed(0.5))).toBeCloseTo(100);
  });

  it("stays inside [1 s, ttl/2] even after jitter", () => {
    expect(renewDelayMs(30, 60, fixed(1))).toBe(30_000);
    expect(renewDelayMs(1, 60, fixed(0))).toBe(1_000);
    expect(renewDelayMs(20, 60, fixed(0))).toBeCloseTo(18_000);
    expect(renewDelayMs(20, 60, fixed(1))).toBeCloseTo(22_000);
  });
});

describe("retryAfterMs", () => {
  it("reads delta-seconds", () => {
    expect(retryAfterMs("3")).toBe(3_000);
  });

  it("reads an HTTP date relative to now", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs("Thu, 01 Jan 2026 00:00:07 GMT", now)).toBe(7_000);
  });

  it("bounds the wait to [1 s, 5 min]", () => {
    expect(retryAfterMs("0")).toBe(1_000);
    expect(retryAfterMs("999999")).toBe(300_000);
    expect(retryAfterMs("Thu, 01 Jan 1970 00:00:00 GMT")).toBe(1_000);
  });

  it("returns null for an absent or unreadable header", () => {
    expect(retryAfterMs(null)).toBeNull();
    expect(retryAfterMs("soon")).toBeNull();
  });
});
