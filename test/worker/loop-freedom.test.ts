// The directory makes no outbound request. Every Worker test runs with outbound fetch trapped
// (setup.ts, vitest.config.ts), so a handler that tried would fail its test; this file proves
// the trap is armed and walks every route once under it.
import { describe, expect, it } from "vitest";
import { call, createCluster, join } from "./helpers.js";
import { outboundAttempts } from "./setup.js";

describe("loop freedom", () => {
  it("rejects and records any outbound fetch", async () => {
    await expect(fetch("http://127.0.0.1:9/anything")).rejects.toThrow(/outbound request forbidden/);
    expect(outboundAttempts.splice(0)).toEqual(["http://127.0.0.1:9/anything"]);
  });

  it("serves every route without an outbound request", async () => {
    const joinToken = await createCluster("loop");
    const a = await join("loop", joinToken, "a");
    await join("loop", joinToken, "b");
    expect((await call("PUT", "/v1/clusters/loop/nodes/a", { token: a.credential, body: { addrs: ["/ip4/10.0.0.1/tcp/5001"] } })).status).toBe(200);
    expect((await call("GET", "/v1/clusters/loop/nodes/a/peers", { token: a.credential })).status).toBe(200);
    expect((await call("DELETE", "/v1/clusters/loop/nodes/a", { token: a.credential })).status).toBe(204);
    expect((await call("GET", "/healthz")).status).toBe(200);
    expect((await call("GET", "/openapi.json")).status).toBe(200);
    expect(outboundAttempts).toEqual([]);
  });
});
