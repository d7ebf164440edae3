// The directory sheds load with a 503 that carries Retry-After (as its 429 rate limit does), so
// agents wait instead of retrying into an overloaded Durable Object.
import type { Context } from "hono";
import { describe, expect, it } from "vitest";
import { OVERLOAD_RETRY_AFTER_SECONDS, renderError } from "../../src/worker/http/errors.js";

const context = { req: { method: "GET", url: "http://dir/v1/clusters/c/nodes/n/peers" } } as unknown as Context;

describe("load shedding", () => {
  it("renders an overloaded Durable Object as 503 problem+json with Retry-After", async () => {
    const err = Object.assign(new Error("Durable Object is overloaded. Requests queued for too long."), { overloaded: true, retryable: false });
    const res = renderError(err, context);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe(String(OVERLOAD_RETRY_AFTER_SECONDS));
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as { type: string }).type).toBe("urn:peerdir:problem:unavailable");
  });

  it("keeps any other unexpected error a 500 without Retry-After", () => {
    const original = console.error;
    console.error = () => {};
    try {
      const res = renderError(new Error("boom"), context);
      expect(res.status).toBe(500);
      expect(res.headers.get("retry-after")).toBeNull();
    } finally {
      console.error = original;
    }
  });
});
