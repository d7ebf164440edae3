// The reconnect window: what the directory advises, bounded, and the agent's own estimate.
import { describe, expect, it } from "vitest";
import { advisedWindowMs, RECONNECT_SPREAD_MS, reconnectDelayMs, reconnectWindowMs } from "../../src/agent/feed/reconnect.js";
import { RECONNECT_UPGRADES_PER_SECOND, reconnectWindowSeconds } from "../../src/contract/watch.js";

describe("reconnect window", () => {
  it("the directory sizes it to the cluster: nodes / 500 per second, within [10 s, 300 s]", () => {
    expect(reconnectWindowSeconds(0)).toBe(10);
    expect(reconnectWindowSeconds(1_000)).toBe(10);
    expect(reconnectWindowSeconds(10_000)).toBe(20);
    expect(reconnectWindowSeconds(30_000)).toBe(60);
    expect(reconnectWindowSeconds(30_001)).toBe(61);
    expect(reconnectWindowSeconds(1_000_000)).toBe(300);
    for (const n of [5_000, 10_000, 32_768]) expect(n / reconnectWindowSeconds(n)).toBeLessThanOrEqual(RECONNECT_UPGRADES_PER_SECOND);
  });

  it("the agent takes the advice only within bounds, and ignores what is not a number", () => {
    expect(advisedWindowMs("20")).toBe(20_000);
    expect(advisedWindowMs(["60"])).toBe(60_000);
    expect(advisedWindowMs("0")).toBe(10_000);
    expect(advisedWindowMs("99999")).toBe(300_000);
    expect(advisedWindowMs(undefined)).toBeNull();
    expect(advisedWindowMs("soon")).toBeNull();
    expect(advisedWindowMs("-5")).toBeNull();
  });

  it("spreads over the longest of the advice, its own estimate from a full list, and 10 s", () => {
    expect(reconnectWindowMs(null, 3)).toBe(RECONNECT_SPREAD_MS);
    expect(reconnectWindowMs(20_000, 3)).toBe(20_000);
    // A cluster that grew under an old advice: the full list tells.
    expect(reconnectWindowMs(20_000, 29_999)).toBe(60_000);
    expect(reconnectWindowMs(null, 10_000_000)).toBe(300_000);
  });

  it("is uniform over the window (full jitter)", () => {
    expect(reconnectDelayMs(60_000, 0, () => 0)).toBe(0);
    expect(reconnectDelayMs(60_000, 0, () => 0.5)).toBe(30_000);
    expect(reconnectDelayMs(60_000, 0, () => 0.999)).toBeCloseTo(59_940);
  });
});
