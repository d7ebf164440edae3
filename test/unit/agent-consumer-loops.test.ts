import { describe, expect, it } from "vitest";
import { ConsumerLoops } from "../../src/agent/outputs/consumer-loops.js";
import { createLogger } from "../../src/agent/log.js";

/** A detector on a fake clock whose one-second check the test runs by hand. */
function detector(threshold = 60) {
  let now = 1_000_000_000_000;
  const lines: string[] = [];
  let changes = 0;
  let tick: (() => void) | null = null;
  const loops = new ConsumerLoops({
    threshold,
    log: createLogger({ format: "json", level: "info", write: (line) => lines.push(line) }),
    onChange: () => changes++,
    now: () => now,
    setInterval: (fn) => {
      tick = fn;
      return {};
    },
    clearInterval: () => {
      tick = null;
    },
  });
  const id = ConsumerLoops.indexOf("/id");
  return {
    loops,
    lines,
    changes: () => changes,
    timerRunning: () => tick !== null,
    /** `perSecond` requests to /id each second for `seconds`, the check running every second. */
    run(seconds: number, perSecond: number, path = "/id") {
      const index = ConsumerLoops.indexOf(path);
      for (let s = 0; s < seconds; s++) {
        for (let i = 0; i < perSecond; i++) {
          loops.count(index);
          now += Math.floor(1000 / Math.max(1, perSecond));
        }
        if (perSecond === 0) now += 1000;
        else now += 1000 - Math.floor(1000 / perSecond) * perSecond;
        tick?.();
      }
    },
    id,
  };
}

describe("ConsumerLoops", () => {
  it("counts every peer endpoint and nothing else", () => {
    expect(["/v1-k3s/p2p", "/v1-rke2/p2p", "/id", "/bootstrap", "/peers"].map(ConsumerLoops.indexOf)).toEqual([0, 1, 2, 3, 4]);
    expect(ConsumerLoops.indexOf("/metrics")).toBe(-1);
    expect(ConsumerLoops.indexOf("/healthz")).toBe(-1);
  });

  it("a normal spegel (backoff to 10 s, about 6 a minute) is never a loop, and runs no timer", () => {
    const d = detector();
    d.run(600, 0);
    for (let i = 0; i < 60; i++) d.run(10, i % 10 === 0 ? 1 : 0);
    d.run(120, 1); // even one a second for two minutes: 60 a minute is not above 60
    expect(d.loops.looping).toBe(false);
    expect(d.timerRunning()).toBe(false);
    expect(d.lines).toEqual([]);
  });

  it("flags a loop within seconds, logs once, and clears about a minute after it stops, with one more line", () => {
    const d = detector();
    d.run(3, 30);
    expect(d.loops.looping).toBe(true);
    expect(d.lines).toHaveLength(1);
    const start = JSON.parse(d.lines[0]!);
    expect(start).toMatchObject({ level: "warn", endpoint: "/id", threshold: 60 });
    expect(start.msg).toMatch(/loop.*Likely causes/);
    expect(start.requestsPerMinute).toBeGreaterThanOrEqual(1500); // 30 a second: 1,800 a minute, not the 61 that crossed the threshold
    expect(start.requestsPerMinute).toBeLessThanOrEqual(2100);
    const report = d.loops.pendingReport()!;
    expect(report).toMatchObject({ looping: true, endpoint: "/id" });

    d.run(300, 30); // five more minutes of looping: not one more line
    expect(d.lines).toHaveLength(1);
    expect(d.loops.counts[d.id]).toBe(303 * 30);

    d.run(58, 0); // the last busy second was 59 s ago
    expect(d.loops.looping).toBe(true);
    d.run(2, 0);
    expect(d.loops.looping).toBe(false);
    expect(d.timerRunning()).toBe(false);
    expect(d.lines).toHaveLength(2);
    expect(JSON.parse(d.lines[1]!)).toMatchObject({ level: "info", endpoint: "/id", requests: 303 * 30 });
    expect(d.loops.pendingReport()).toMatchObject({ looping: false, endpoint: "/id" });
  });

  it("reports each change until the directory takes it, and nothing after", () => {
    const d = detector();
    const first = d.loops.pendingReport()!;
    expect(first).toMatchObject({ looping: false, endpoint: null, requestsPerMinute: 0 });
    d.loops.acknowledge(first);
    expect(d.loops.pendingReport()).toBeUndefined();
    d.run(2, 50);
    expect(d.changes()).toBe(1);
    const looping = d.loops.pendingReport()!;
    expect(looping.looping).toBe(true);
    d.loops.acknowledge(looping);
    d.run(30, 50);
    expect(d.loops.pendingReport()).toBeUndefined();
  });

  it("tells a peak that doubled again, and a threshold of 0 turns detection off", () => {
    const d = detector();
    d.run(2, 2); // 4 requests in two seconds, under the threshold
    d.run(2, 40);
    const first = d.loops.pendingReport()!;
    d.loops.acknowledge(first);
    d.run(20, 400);
    expect(d.loops.pendingReport()!.requestsPerMinute).toBeGreaterThanOrEqual(first.requestsPerMinute * 2);
    expect(d.lines).toHaveLength(1);

    const off = detector(0);
    off.run(30, 100);
    expect(off.loops.looping).toBe(false);
    expect(off.loops.counts[off.id]).toBe(3000);
    expect(off.lines).toEqual([]);
  });

  it("a consumer just over the threshold makes whole episodes, never a flood of lines", () => {
    const d = detector();
    for (let i = 0; i < 600; i++) d.run(1, i % 59 === 0 ? 2 : 1); // about 61 a minute for ten minutes
    expect(d.lines.length).toBeGreaterThanOrEqual(1);
    expect(d.lines.length).toBeLessThanOrEqual(2 * Math.ceil(600 / 120) + 1);
    // Each episode lasts a minute at least: the minute that crossed the threshold counts as over it.
    for (const line of d.lines.map((l) => JSON.parse(l)).filter((l) => l.level === "info")) expect(line.loopedSeconds).toBeGreaterThanOrEqual(60);
  });

  it("a single burst just over the threshold is one episode of about a minute", () => {
    const d = detector();
    d.run(1, 61);
    expect(d.loops.looping).toBe(true);
    d.run(58, 0);
    expect(d.loops.looping).toBe(true);
    d.run(2, 0);
    expect(d.loops.looping).toBe(false);
    expect(d.lines).toHaveLength(2);
  });
});
