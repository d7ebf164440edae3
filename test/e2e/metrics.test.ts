// The directory's Prometheus metrics over real HTTP from the real Worker, read with a real
// exposition-format parser: every series of a cluster carries its `cluster` label, and the
// figures follow what happened (joins, renewals by transport, 304s, watchers, overrides, 429s).
import { readFileSync } from "node:fs";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ADMIN_READ_TOKEN } from "../support/constants.js";
import { createCluster, type RunningDirectory, startDirectory } from "../support/directory.js";

interface ParsedFamily {
  name: string;
  type: string;
  help: string;
  metrics: { value: string; labels?: Record<string, string> }[];
}

let directory: RunningDirectory;
let joinToken: string;
const CLUSTER = "scraped";

beforeAll(async () => {
  directory = await startDirectory({ vars: { ADMIN_READ_TOKEN: TEST_ADMIN_READ_TOKEN } });
  ({ joinToken } = await createCluster(directory.url, directory.adminToken, CLUSTER));
});
afterAll(() => directory?.stop());

const node = (id: string, token: string, method = "PUT", path = "", headers: Record<string, string> = {}) =>
  fetch(`${directory.url}/v1/clusters/${CLUSTER}/nodes/${id}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(method === "PUT" ? { "Content-Type": "application/json" } : {}), ...headers },
    body: method === "PUT" ? JSON.stringify({ addrs: ["/ip4/127.0.0.1/tcp/5001"] }) : undefined,
  });

async function scrape(path: string, token = directory.adminToken): Promise<{ res: Response; families: Map<string, ParsedFamily> }> {
  const res = await fetch(`${directory.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  const text = res.ok ? await res.text() : "";
  const families = new Map((parsePrometheusTextFormat(text) as ParsedFamily[]).map((f) => [f.name, f]));
  return { res, families };
}

const value = (families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}) => {
  const sample = families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample === undefined ? undefined : Number(sample.value);
};

describe("directory metrics", () => {
  it("serve one cluster in the exposition format, every series labelled with the cluster", async () => {
    const credentials: Record<string, string> = {};
    for (const id of ["a", "b", "c"]) credentials[id] = ((await (await node(id, joinToken)).json()) as { credential: string }).credential;
    // a polls, then renews; b long-polls (answered at once: its ETag is stale), then renews.
    const first = await node("a", credentials.a, "GET", "/peers");
    const etag = first.headers.get("ETag")!;
    expect((await node("a", credentials.a, "GET", "/peers", { "If-None-Match": etag })).status).toBe(304);
    expect((await node("a", credentials.a)).status).toBe(200);
    await node("b", credentials.b, "GET", "/peers?wait=1", { "If-None-Match": '"0"' });
    expect((await node("b", credentials.b)).status).toBe(200);
    // c watches, and renews over its socket.
    const ws = new WebSocket(`${directory.url.replace("http", "ws")}/v1/clusters/${CLUSTER}/nodes/c/watch`, ["peerdir", `bearer.${credentials.c}`]);
    await new Promise((resolve, reject) => {
      ws.onmessage = resolve;
      ws.onerror = reject;
    });
    // The readiness change moves the version, so a delta may come first.
    const renewed = new Promise((resolve) => {
      ws.onmessage = (e) => {
        if (String(e.data).includes('"renewed"')) resolve(e.data);
      };
    });
    // Its own address does not answer: it says it is not ready.
    ws.send(JSON.stringify({ type: "renew", addrs: ["/ip4/127.0.0.1/tcp/5001"], ready: false }));
    expect(String(await renewed)).toContain('"renewed"');
    // b leaves. An operator blocks a; a is then refused (403); c's burst meets the rate limit (429).
    expect((await node("b", credentials.b, "DELETE")).status).toBe(204);
    const block = await fetch(`${directory.url}/v1/admin/clusters/${CLUSTER}/overrides/a`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${directory.adminToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ action: "block", reason: "test" }),
    });
    expect(block.status).toBe(200);
    expect((await node("a", credentials.a, "GET", "/peers")).status).toBe(403);
    let limited = 0;
    for (let i = 0; i < 14; i++) if ((await node("c", credentials.c, "GET", "/peers")).status === 429) limited++;
    expect(limited).toBeGreaterThan(0);

    const { res, families } = await scrape(`/v1/admin/clusters/${CLUSTER}/metrics`, TEST_ADMIN_READ_TOKEN);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    for (const family of families.values()) {
      expect(family.help.length, family.name).toBeGreaterThan(0);
      for (const m of family.metrics) expect(m.labels?.cluster, family.name).toBe(CLUSTER);
    }
    expect(value(families, "peerdir_nodes", { state: "live" })).toBe(1); // c (a blocked, b left)
    expect(value(families, "peerdir_nodes", { state: "expired" })).toBe(2); // a's and b's credentials are kept
    expect(value(families, "peerdir_nodes", { state: "blocked" })).toBe(1);
    expect(value(families, "peerdir_joins_total")).toBe(3);
    expect(value(families, "peerdir_leaves_total")).toBe(1);
    expect(value(families, "peerdir_expiries_total")).toBe(0);
    expect(value(families, "peerdir_renewals_total", { transport: "poll" })).toBe(1);
    expect(value(families, "peerdir_renewals_total", { transport: "long-poll" })).toBe(1);
    expect(value(families, "peerdir_renewals_total", { transport: "watch" })).toBe(1);
    expect(value(families, "peerdir_handouts_not_modified_total")).toBe(1);
    expect(value(families, "peerdir_handouts_total")).toBe(2 + 1 + (14 - limited));
    expect(value(families, "peerdir_watchers")).toBe(1);
    expect(value(families, "peerdir_degraded")).toBe(0);
    expect(value(families, "peerdir_nodes_reachability", { state: "unknown" })).toBe(1);
    expect(value(families, "peerdir_nodes_reachability", { state: "unreachable" })).toBe(0);
    expect(value(families, "peerdir_nodes_reachability", { state: "not_ready" })).toBe(1);
    expect(value(families, "peerdir_overrides", { kind: "block" })).toBe(1);
    expect(value(families, "peerdir_overrides", { kind: "drain" })).toBe(0);
    expect(value(families, "peerdir_requests_refused_total", { status: "403" })).toBe(1);
    expect(value(families, "peerdir_requests_refused_total", { status: "429" })).toBe(limited);
    expect(value(families, "peerdir_requests_rate_limited_total")).toBe(limited);
    const version = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version as string;
    expect(value(families, "peerdir_build_info", { version })).toBe(1);
    expect(families.get("peerdir_joins_total")?.type).toBe("COUNTER");
    expect(families.get("peerdir_nodes")?.type).toBe("GAUGE");
    ws.close();
  });

  it("serve the directory as a whole from the catalog: cluster counts and the build version", async () => {
    await createCluster(directory.url, directory.adminToken, "second");
    const { res, families } = await scrape("/v1/admin/metrics");
    expect(res.status).toBe(200);
    expect(value(families, "peerdir_clusters")).toBe(2);
    expect(value(families, "peerdir_clusters_created_total")).toBe(2);
    expect([...(families.get("peerdir_build_info")?.metrics ?? [])].map((m) => m.labels?.version)).toHaveLength(1);
  });

  it("refuse node tokens and strangers, and answer 404 for an unknown cluster", async () => {
    expect((await scrape(`/v1/admin/clusters/${CLUSTER}/metrics`, joinToken)).res.status).toBe(403);
    expect((await scrape("/v1/admin/metrics", "nobody-0123456789")).res.status).toBe(401);
    expect((await scrape("/v1/admin/clusters/no-such-cluster/metrics")).res.status).toBe(404);
  });
});
