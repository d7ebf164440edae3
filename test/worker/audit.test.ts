// The audit log: every admin mutation, join, leave and expiry, newest first, with actor,
// reason, before and after; paged by cursor.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AuditEntry, AuditPage, CreatedJoinToken } from "../../src/contract/admin.js";
import { addr, ADMIN_READ, admin, call, createCluster, join } from "./helpers.js";

describe("audit log", () => {
  it("records every mutation, join, leave and expiry with actor, reason, before and after", async () => {
    const joinToken = await createCluster("aud");
    const a = await join("aud", joinToken, "a", { addrs: [addr(1)] });
    await call("PUT", "/v1/clusters/aud/nodes/a", { token: a.credential, body: { addrs: [addr(1)] } }); // plain renewal: not audited
    await call("PUT", "/v1/clusters/aud/nodes/a", { token: a.credential, body: { addrs: [addr(2)] } });
    const b = await join("aud", joinToken, "b", { addrs: [addr(3)], ttlSeconds: 10 });
    await call("DELETE", "/v1/clusters/aud/nodes/a", { token: a.credential });
    await admin("PATCH", "/v1/admin/clusters/aud", { maxNodes: 50 });
    const issued = await admin<CreatedJoinToken>("POST", "/v1/admin/clusters/aud/join-tokens", {});
    await admin("DELETE", `/v1/admin/clusters/aud/join-tokens/${issued.id}`);
    await admin("PUT", "/v1/admin/clusters/aud/overrides/seed", { action: "pin", addrs: [addr(9)], reason: "seed node" });
    await admin("DELETE", "/v1/admin/clusters/aud/overrides/seed");
    await admin("POST", "/v1/admin/clusters/aud/nodes/b/evict", { reason: "flapping" });
    await join("aud", joinToken, "b", { addrs: [addr(3)], ttlSeconds: 10 });
    const stub = env.CLUSTER.getByName("aud");
    await runInDurableObject(stub, (_i, s) => s.storage.sql.exec("UPDATE nodes SET expires_at = ? WHERE id = 'b'", Date.now() - 1));
    await evictDurableObject(stub);
    await runDurableObjectAlarm(stub);
    await admin("DELETE", "/v1/admin/clusters/aud/nodes/a/credential");

    const page = await admin<AuditPage>("GET", "/v1/admin/clusters/aud/audit", undefined, ADMIN_READ);
    const actions = page.entries.map((e) => [e.action, e.actor.kind, e.node]);
    expect(actions).toEqual([
      ["node.credential-revoke", "admin", "a"],
      ["node.expire", "system", "b"],
      ["node.join", "join-token", "b"],
      ["node.evict", "admin", "b"],
      ["override.lift", "admin", "seed"],
      ["override.set", "admin", "seed"],
      ["join-token.revoke", "admin", null],
      ["join-token.create", "admin", null],
      ["cluster.update", "admin", null],
      ["node.leave", "node", "a"],
      ["node.join", "join-token", "b"],
      ["node.update", "node", "a"],
      ["node.join", "join-token", "a"],
      ["join-token.create", "admin", null],
      ["cluster.create", "admin", null],
    ]);
    const byAction = (action: string) => page.entries.find((e) => e.action === action) as AuditEntry;
    expect(byAction("node.update")).toMatchObject({ before: { addrs: [addr(1)] }, after: { addrs: [addr(2)] } });
    expect(byAction("node.evict")).toMatchObject({ reason: "flapping", before: { addrs: [addr(3)] }, after: null });
    expect(byAction("override.set")).toMatchObject({ reason: "seed node", before: null, after: { action: "pin", addrs: [addr(9)] } });
    expect(byAction("cluster.update")).toMatchObject({ before: { maxNodes: 10000 }, after: { maxNodes: 50 } });
    expect(byAction("node.expire").actor).toEqual({ kind: "system", id: "alarm" });
    expect(page.entries.every((e, i, all) => i === 0 || all[i - 1].seq > e.seq)).toBe(true);
    expect(Date.parse(page.entries[0].at)).toBeGreaterThan(0);
    // No secret ever reaches the audit log.
    const text = JSON.stringify(page);
    for (const secret of [joinToken, a.credential, b.credential, issued.token]) expect(text).not.toContain(secret);
  });

  it("pages newest first with a cursor", async () => {
    const joinToken = await createCluster("audpage");
    for (let i = 0; i < 7; i++) await join("audpage", joinToken, `n${i}`, { addrs: [addr(i)] });
    const seen: number[] = [];
    let cursor: string | null = "";
    let pages = 0;
    while (cursor !== null && pages < 10) {
      const page: AuditPage = await admin<AuditPage>("GET", `/v1/admin/clusters/audpage/audit?limit=4${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.entries.map((e) => e.seq));
      cursor = page.next;
      pages++;
    }
    expect(pages).toBe(3); // 2 creation entries + 7 joins = 9 entries
    expect(seen).toEqual([...seen].sort((x, y) => y - x));
    expect(new Set(seen).size).toBe(9);
  });
});
