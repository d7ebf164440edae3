// Who may call the admin API: no token, the read token, the admin token, a join token and a
// node credential × every admin route. Refusals are problem+json and change nothing.
import { describe, expect, it } from "vitest";
import { addr, ADMIN, ADMIN_READ, admin, call, createCluster, expectProblem, join, storedState } from "./helpers.js";

describe("admin authorization matrix", async () => {
  const joinToken = await createCluster("adm");
  const node = await join("adm", joinToken, "n1", { addrs: [addr(1)] });
  await join("adm", joinToken, "n2", { addrs: [addr(2)] });
  const issued = await admin<{ id: string }>("POST", "/v1/admin/clusters/adm/join-tokens", {});
  const tokens = { none: undefined, read: ADMIN_READ, admin: ADMIN, join: joinToken, node: node.credential } as const;
  type Who = keyof typeof tokens;

  // Each mutation is written so that a successful admin call leaves a state the next rows can use.
  const routes: { method: string; path: string; body?: object; read: boolean; ok: number }[] = [
    { method: "GET", path: "/v1/admin/clusters", read: true, ok: 200 },
    { method: "POST", path: "/v1/admin/clusters", body: { name: "adm-new" }, read: false, ok: 201 },
    { method: "GET", path: "/v1/admin/clusters/adm", read: true, ok: 200 },
    { method: "PATCH", path: "/v1/admin/clusters/adm", body: { maxNodes: 500 }, read: false, ok: 200 },
    { method: "POST", path: "/v1/admin/clusters/adm/join-tokens", body: {}, read: false, ok: 201 },
    { method: "GET", path: "/v1/admin/clusters/adm/join-tokens", read: true, ok: 200 },
    { method: "DELETE", path: `/v1/admin/clusters/adm/join-tokens/${issued.id}`, read: false, ok: 204 },
    { method: "GET", path: "/v1/admin/clusters/adm/nodes", read: true, ok: 200 },
    { method: "GET", path: "/v1/admin/clusters/adm/nodes/n1/handout", read: true, ok: 200 },
    { method: "PUT", path: "/v1/admin/clusters/adm/overrides/n9", body: { action: "drain", reason: "test" }, read: false, ok: 200 },
    { method: "GET", path: "/v1/admin/clusters/adm/overrides", read: true, ok: 200 },
    { method: "DELETE", path: "/v1/admin/clusters/adm/overrides/n9", read: false, ok: 204 },
    { method: "POST", path: "/v1/admin/clusters/adm/nodes/n2/evict", body: { reason: "test" }, read: false, ok: 204 },
    { method: "DELETE", path: "/v1/admin/clusters/adm/nodes/n1/credential", read: false, ok: 204 },
    { method: "GET", path: "/v1/admin/clusters/adm/audit", read: true, ok: 200 },
    { method: "DELETE", path: "/v1/admin/clusters/adm-new", read: false, ok: 204 },
  ];

  const expected = (route: (typeof routes)[number], who: Who) => (who === "admin" ? route.ok : who === "none" ? 401 : who === "read" && route.read ? route.ok : 403);

  for (const route of routes) {
    for (const who of ["none", "join", "node", "read", "admin"] as Who[]) {
      const status = expected(route, who);
      it(`${route.method} ${route.path} with ${who} → ${status}`, async () => {
        const before = await storedState("adm");
        const res = await call(route.method, route.path, { token: tokens[who], body: route.body });
        if (status >= 400) {
          await expectProblem(res, status);
          if (status === 401) expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="peerdir"');
          expect(await storedState("adm")).toEqual(before);
        } else {
          expect(res.status, await res.clone().text()).toBe(status);
        }
      });
    }
  }
});
