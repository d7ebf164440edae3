// Admin: join tokens (issue, list without secrets, expire, revoke) and node credential revocation.
import { describe, expect, it } from "vitest";
import type { CreatedJoinToken, JoinTokenList, NodeList } from "../../src/contract/admin.js";
import { addr, ADMIN, admin, call, createCluster, expectProblem, join, peersOf } from "./helpers.js";

describe("admin: join tokens", () => {
  it("issues a token once, lists tokens without secrets, and revokes them", async () => {
    const first = await createCluster("tok");
    const issued = await admin<CreatedJoinToken>("POST", "/v1/admin/clusters/tok/join-tokens", {});
    expect(issued.token).toMatch(/^pdj_/);
    expect(issued.expiresAt).toBeNull();
    const list = await admin<JoinTokenList>("GET", "/v1/admin/clusters/tok/join-tokens");
    expect(list.joinTokens).toHaveLength(2);
    expect(JSON.stringify(list)).not.toContain(issued.token);
    expect(JSON.stringify(list)).not.toContain(first);
    expect(list.joinTokens.map((t) => t.id)).toContain(issued.id);

    await join("tok", issued.token, "via-new");
    await admin("DELETE", `/v1/admin/clusters/tok/join-tokens/${issued.id}`);
    await expectProblem(await call("PUT", "/v1/clusters/tok/nodes/later", { token: issued.token, body: { addrs: [addr(1)] } }), 401);
    await join("tok", first, "via-first");
    await expectProblem(await call("DELETE", `/v1/admin/clusters/tok/join-tokens/${issued.id}`, { token: ADMIN }), 404);
  });

  it("names the first join token's id on cluster creation, so it can be revoked", async () => {
    const created = await admin<{ joinToken: string; joinTokenId: string }>("POST", "/v1/admin/clusters", { name: "tokid" });
    expect((await admin<JoinTokenList>("GET", "/v1/admin/clusters/tokid/join-tokens")).joinTokens.map((t) => t.id)).toEqual([created.joinTokenId]);
    await admin("DELETE", `/v1/admin/clusters/tokid/join-tokens/${created.joinTokenId}`);
    await expectProblem(await call("PUT", "/v1/clusters/tokid/nodes/n", { token: created.joinToken, body: { addrs: [addr(1)] } }), 401);
  });

  it("honours a join token's expiresAt", async () => {
    await createCluster("tokexp");
    const soon = new Date(Date.now() + 1500).toISOString();
    const issued = await admin<CreatedJoinToken>("POST", "/v1/admin/clusters/tokexp/join-tokens", { expiresAt: soon });
    expect(issued.expiresAt).toBe(soon);
    await join("tokexp", issued.token, "early");
    await new Promise((r) => setTimeout(r, 1600));
    const problem = await expectProblem(await call("PUT", "/v1/clusters/tokexp/nodes/late", { token: issued.token, body: { addrs: [addr(1)] } }), 401);
    expect(problem.detail).toMatch(/expired/);
  });

  it("revokes a node credential: it stops working, the lease ends, the join token may register again", async () => {
    const joinToken = await createCluster("cred");
    const a = await join("cred", joinToken, "a");
    const b = await join("cred", joinToken, "b", { addrs: [addr(2)] });
    await admin("DELETE", "/v1/admin/clusters/cred/nodes/b/credential");
    await expectProblem(await call("GET", "/v1/clusters/cred/nodes/b/peers", { token: b.credential }), 401);
    expect((await peersOf("cred", "a", a.credential)).peers).toEqual([]);
    expect((await admin<NodeList>("GET", "/v1/admin/clusters/cred/nodes")).nodes.map((n) => n.id)).toEqual(["a"]);
    await join("cred", joinToken, "b", { addrs: [addr(2)] });
    await expectProblem(await call("DELETE", "/v1/admin/clusters/cred/nodes/nobody/credential", { token: ADMIN }), 404);
  });
});
