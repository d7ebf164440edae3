// The optional Analytics Engine output: with an `ANALYTICS` dataset bound, one data point per
// request, including requests refused before any object call; without it, nothing.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/worker/http/app.js";
import { ADMIN, createCluster } from "./helpers.js";

describe("Analytics Engine data points", () => {
  it("writes one per request with cluster, route, method, status and latency", async () => {
    await createCluster("analysed");
    const points: AnalyticsEngineDataPoint[] = [];
    const dataset: AnalyticsEngineDataset = { writeDataPoint: (point) => void points.push(point!) };
    const app = createApp();
    const bound = { ...env, ANALYTICS: dataset };
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    await app.fetch(new Request("http://peerdir.test/v1/admin/clusters/analysed", { headers: { Authorization: `Bearer ${ADMIN}` } }), bound, ctx);
    await app.fetch(new Request("http://peerdir.test/v1/clusters/analysed/nodes/a/peers", { headers: { Authorization: "Bearer wrong-token-0123456789" } }), bound, ctx);
    expect(points).toHaveLength(2);
    expect(points[0]).toMatchObject({ indexes: ["analysed"], blobs: ["analysed", "/v1/admin/clusters/:cluster", "GET", "200"] });
    expect(points[1].blobs?.[3]).toBe("401");
    expect(points[1].doubles?.[0]).toBe(401);
    expect(typeof points[1].doubles?.[1]).toBe("number");
  });
});
