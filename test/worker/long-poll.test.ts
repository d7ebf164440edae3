// Long-poll: GET …/peers?wait=s with a current If-None-Match holds until the version changes
// (200) or the wait ends (304).
import { describe, expect, it } from "vitest";
import { addr, call, createCluster, expectProblem, join, peersOf } from "./helpers.js";

describe("long-poll", () => {
  it("answers 200 as soon as the version changes", async () => {
    const joinToken = await createCluster("lp1");
    const a = await join("lp1", joinToken, "a");
    const { etag } = await peersOf("lp1", "a", a.credential);
    const started = Date.now();
    const held = call("GET", "/v1/clusters/lp1/nodes/a/peers?wait=30", { token: a.credential, headers: { "If-None-Match": etag! } });
    await new Promise((r) => setTimeout(r, 300));
    await join("lp1", joinToken, "b", { addrs: [addr(2)] });
    const res = await held;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { peers: { id: string }[] }).peers.map((p) => p.id)).toEqual(["b"]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.headers.get("ETag")).not.toBe(etag);
  });

  it("answers 304 when the wait ends with nothing new", async () => {
    const joinToken = await createCluster("lp2");
    const a = await join("lp2", joinToken, "a");
    const { etag } = await peersOf("lp2", "a", a.credential);
    const started = Date.now();
    const res = await call("GET", "/v1/clusters/lp2/nodes/a/peers?wait=1", { token: a.credential, headers: { "If-None-Match": etag! } });
    expect(res.status).toBe(304);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("answers at once when the ETag is already stale, and refuses waits over 60 s", async () => {
    const joinToken = await createCluster("lp3");
    const a = await join("lp3", joinToken, "a");
    const started = Date.now();
    const res = await call("GET", "/v1/clusters/lp3/nodes/a/peers?wait=30", { token: a.credential, headers: { "If-None-Match": '"0"' } });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    const problem = await expectProblem(await call("GET", "/v1/clusters/lp3/nodes/a/peers?wait=61", { token: a.credential }), 400);
    expect(problem.errors?.map((e) => e.pointer)).toContain("/query/wait");
  });
});
