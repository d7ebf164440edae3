// What the operator console needs from the admin API: the caller's role, each node's transport,
// a nodes view that waits for the next change, audit filters, and the page under a strict CSP.
import { describe, expect, it } from "vitest";
import type { AdminSession, AuditPage, ClusterList, NodeList } from "../../src/contract/admin.js";
import { ADMIN, ADMIN_READ, addr, admin, call, createCluster, expectProblem, join, peersOf } from "./helpers.js";

describe("admin session", () => {
  it("tells the write token from the read-only one, and refuses others", async () => {
    expect(await admin<AdminSession>("GET", "/v1/admin/session")).toEqual({ role: "write", name: "root", clusters: ["*"], canManage: true });
    expect(await admin<AdminSession>("GET", "/v1/admin/session", undefined, ADMIN_READ)).toEqual({ role: "read", name: "read", clusters: ["*"], canManage: false });
    await expectProblem(await call("GET", "/v1/admin/session", { token: "not-a-token" }), 401);
  });
});

describe("nodes view for the console", () => {
  it("shows each node's transport: poll, long-poll, or watch while a socket is open", async () => {
    const joinToken = await createCluster("transports");
    const a = await join("transports", joinToken, "a", { addrs: [addr(1)] });
    const b = await join("transports", joinToken, "b", { addrs: [addr(2)] });
    const c = await join("transports", joinToken, "c", { addrs: [addr(3)] });
    await peersOf("transports", "a", a.credential);
    const first = await peersOf("transports", "b", b.credential);
    await call("GET", "/v1/clusters/transports/nodes/b/peers?wait=1", { token: b.credential, headers: { "If-None-Match": first.etag! } });
    const ws = await call("GET", "/v1/clusters/transports/nodes/c/watch", { token: c.credential, headers: { Upgrade: "websocket" } });
    expect(ws.status).toBe(101);
    ws.webSocket!.accept();
    const view = await admin<NodeList>("GET", "/v1/admin/clusters/transports/nodes");
    expect(Object.fromEntries(view.nodes.map((n) => [n.id, n.transport]))).toEqual({ a: "poll", b: "long-poll", c: "watch" });
    ws.webSocket!.close(1000, "done");
  });

  it("with wait and since, answers when the version moves (or the wait ends), with the new view", async () => {
    const joinToken = await createCluster("follow");
    const { version } = await admin<NodeList>("GET", "/v1/admin/clusters/follow/nodes");
    const started = Date.now();
    const held = admin<NodeList>("GET", `/v1/admin/clusters/follow/nodes?wait=20&since=${version}`);
    await new Promise((r) => setTimeout(r, 100));
    await join("follow", joinToken, "late", { addrs: [addr(4)] });
    const after = await held;
    expect(after.version).toBeGreaterThan(version);
    expect(after.nodes.map((n) => n.id)).toEqual(["late"]);
    expect(Date.now() - started).toBeLessThan(5_000);
    // A stale `since` answers at once; a bad wait is a 400 naming the field.
    const stale = Date.now();
    await admin<NodeList>("GET", `/v1/admin/clusters/follow/nodes?wait=20&since=${version}`);
    expect(Date.now() - stale).toBeLessThan(2_000);
    const bad = await expectProblem(await call("GET", "/v1/admin/clusters/follow/nodes?wait=99", { token: ADMIN }), 400);
    expect(bad.errors?.map((e) => e.pointer)).toEqual(["/query/wait"]);
  });

  it("lists clusters with their settings", async () => {
    await createCluster("listed");
    const { clusters } = await admin<ClusterList>("GET", "/v1/admin/clusters");
    expect(clusters.find((c) => c.name === "listed")?.settings.defaultTtlSeconds).toBe(60);
  });
});

describe("audit filters", () => {
  it("filters by action and by node, and pages within the filter", async () => {
    const joinToken = await createCluster("audited");
    for (const id of ["a", "b", "c"]) await join("audited", joinToken, id, { addrs: [addr(1)] });
    await admin("PUT", "/v1/admin/clusters/audited/overrides/b", { action: "drain", reason: "maintenance" });
    const joins = await admin<AuditPage>("GET", "/v1/admin/clusters/audited/audit?action=node.join&limit=2");
    expect(joins.entries.map((e) => e.node)).toEqual(["c", "b"]);
    const rest = await admin<AuditPage>("GET", `/v1/admin/clusters/audited/audit?action=node.join&limit=2&cursor=${joins.next}`);
    expect(rest.entries.map((e) => e.node)).toEqual(["a"]);
    expect(rest.next).toBeNull();
    const aboutB = await admin<AuditPage>("GET", "/v1/admin/clusters/audited/audit?node=b");
    expect(aboutB.entries.map((e) => e.action)).toEqual(["override.set", "node.join"]);
    const both = await admin<AuditPage>("GET", "/v1/admin/clusters/audited/audit?node=b&action=override.set");
    expect(both.entries.map((e) => e.reason)).toEqual(["maintenance"]);
    await expectProblem(await call("GET", "/v1/admin/clusters/audited/audit?action=DROP%20TABLE", { token: ADMIN }), 400);
  });
});

describe("the console page", () => {
  it("is served with a strict CSP, and its script and styles as same-origin files", async () => {
    const page = await call("GET", "/console");
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(page.headers.get("Content-Security-Policy")).toContain("default-src 'self'");
    expect(page.headers.get("X-Frame-Options")).toBe("DENY");
    const html = await page.text();
    const script = /<script type="module" src="([^"]+)"><\/script>/.exec(html)![1];
    const style = /<link rel="stylesheet" href="([^"]+)">/.exec(html)![1];
    const js = await call("GET", script);
    expect(js.headers.get("Content-Type")).toMatch(/^text\/javascript/);
    expect((await js.text()).length).toBeGreaterThan(1000);
    expect((await call("GET", style)).headers.get("Content-Type")).toMatch(/^text\/css/);
    const again = await call("GET", "/console", { headers: { "If-None-Match": page.headers.get("ETag")! } });
    expect(again.status).toBe(304);
  });
});
