// The shared failure policy: which answers end an outage, the jittered backoff and Retry-After
// bounds, and the quiet log (one line at the start, a reminder every 5 minutes, one at the end).
import { describe, expect, it } from "vitest";
import { BACKOFF_CAP_MS, RETRY_AFTER_MAX_MS, retryAfterMs } from "../../src/agent/backoff.js";
import { FailurePolicy, failureDelayMs, REMINDER_EVERY_MS, verdictOf } from "../../src/agent/failure-policy.js";
import type { Logger } from "../../src/agent/log.js";

function policy(random = () => 0.5) {
  let now = 1_000_000;
  const lines: string[] = [];
  const log: Logger = {
    debug: () => {},
    info: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`),
    warn: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`),
    error: (m) => lines.push(m),
  };
  const p = new FailurePolicy(
    log,
    () => 3,
    random,
    () => now,
  );
  return { p, lines, advance: (ms: number) => (now += ms), now: () => now };
}

describe("failure policy", () => {
  it("counts only 2xx/304 and definite 4xx as answers; 408, 429, 5xx and no answer are failures", () => {
    for (const s of [200, 201, 204, 304, 101]) expect(verdictOf(s)).toBe("ok");
    for (const s of [400, 401, 403, 404, 409, 413]) expect(verdictOf(s)).toBe("refused");
    for (const s of [0, 408, 429, 500, 502, 503, 504]) expect(verdictOf(s)).toBe("failed");
  });

  it("a 503 answer does not end an outage, and the backoff grows until an answer", () => {
    const { p, lines, advance } = policy(() => 1);
    expect(p.record({ status: 0, detail: "ECONNREFUSED" })).toBe("failed");
    const waits: number[] = [];
    let last = p.notBefore;
    for (let i = 0; i < 6; i++) {
      advance(last - (p.notBefore - 0) + 1);
      p.record({ status: 503, detail: "HTTP 503" });
      waits.push(p.notBefore);
      last = p.notBefore;
    }
    expect(p.down).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^directory unreachable.*"cause":"ECONNREFUSED"/);
    p.record({ status: 404, detail: "HTTP 404" });
    expect(p.down).toBe(false);
    expect(lines[1]).toMatch(/^directory reachable again .*"attempts":8/);
  });

  it("full jitter between 1 s and 30 s; Retry-After waited out in full, spread, capped at 5 minutes", () => {
    expect(failureDelayMs({ status: 0, detail: "" }, 10, () => 0)).toBe(1_000);
    expect(failureDelayMs({ status: 0, detail: "" }, 10, () => 1)).toBe(BACKOFF_CAP_MS);
    expect(failureDelayMs({ status: 503, retryAfterMs: 5_000, detail: "" }, 0, () => 0)).toBe(5_000);
    expect(failureDelayMs({ status: 503, retryAfterMs: 5_000, detail: "" }, 0, () => 1)).toBe(10_000);
    expect(failureDelayMs({ status: 429, retryAfterMs: 120_000, detail: "" }, 0, () => 1)).toBe(150_000);
    // A Retry-After on a 500 is no load-shedding hint: the backoff applies.
    expect(failureDelayMs({ status: 500, retryAfterMs: 120_000, detail: "" }, 0, () => 1)).toBe(2_000);
    expect(retryAfterMs("86400")).toBe(RETRY_AFTER_MAX_MS);
    expect(RETRY_AFTER_MAX_MS).toBe(300_000);
  });

  it("a failure of a request sent before the last success starts no outage", () => {
    const { p, lines, advance, now } = policy();
    const sentAt = now();
    advance(5_000);
    p.record({ status: 200, detail: "ok" });
    advance(5_000);
    expect(p.record({ status: 0, detail: "timed out", startedAt: sentAt })).toBe("failed");
    expect(p.down).toBe(false);
    expect(p.notBefore).toBe(0);
    expect(lines).toHaveLength(0);
    expect(p.record({ status: 0, detail: "timed out", startedAt: now() })).toBe("failed");
    expect(p.down).toBe(true);
  });

  it("a flapping directory is logged once per 5 minutes, and the next line counts the flaps", () => {
    const { p, lines, advance } = policy();
    for (let i = 0; i < 10; i++) {
      p.record({ status: 0, detail: "timed out" });
      advance(10_000);
      p.record({ status: 200, detail: "ok" });
      advance(10_000);
    }
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^directory unreachable/);
    expect(lines[1]).toMatch(/^directory reachable again/);
    advance(REMINDER_EVERY_MS);
    p.record({ status: 0, detail: "timed out" });
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^directory unreachable.*"outagesNotLogged":9/);
  });

  it("reminds at most every 5 minutes while an outage lasts", () => {
    const { p, lines, advance } = policy();
    p.record({ status: 0, detail: "timed out" });
    for (let t = 0; t < 11 * 60_000; t += 15_000) {
      advance(15_000);
      p.record({ status: 0, detail: "timed out" });
    }
    expect(lines.filter((l) => l.startsWith("directory still unreachable"))).toHaveLength(2);
    expect(REMINDER_EVERY_MS).toBe(300_000);
    expect(p.outageSeconds()).toBe(11 * 60);
  });
});
