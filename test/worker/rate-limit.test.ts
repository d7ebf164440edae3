// Per-node token bucket (defaults: bursts of 10, 1 request/s): 429 with Retry-After, per node.
import { describe, expect, it } from "vitest";
import { addr, call, createCluster, expectProblem, join } from "./helpers.js";

describe("rate limit", () => {
  it("answers 429 with Retry-After once a node exceeds its burst, without touching other nodes", async () => {
    const joinToken = await createCluster("rl");
    const a = await join("rl", joinToken, "a"); // 1 token used
    const b = await join("rl", joinToken, "b", { addrs: [addr(2)] });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await call("GET", "/v1/clusters/rl/nodes/a/peers", { token: a.credential })).status);
    expect(statuses.slice(0, 9)).toEqual(Array(9).fill(200));
    expect(statuses.slice(9)).toEqual([429, 429, 429]);
    const limited = await call("GET", "/v1/clusters/rl/nodes/a/peers", { token: a.credential });
    const problem = await expectProblem(limited, 429);
    expect(problem.type).toBe("urn:peerdir:problem:rate-limited");
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect((await call("GET", "/v1/clusters/rl/nodes/b/peers", { token: b.credential })).status).toBe(200);
  });
});
