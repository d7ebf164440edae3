// Who may call what: every route × no token, malformed, unknown, join token, own credential,
// another node's credential, the admin token. Failures are problem+json and change nothing.
import { describe, expect, it } from "vitest";
import { addr, call, expectProblem, storedState, tokenMatrix } from "./helpers.js";

describe("authorization matrix", async () => {
  const { self, tokens: all } = await tokenMatrix("authz");
  // The read-only admin token is covered for node routes in security.test.ts.
  const { read: _read, ...tokens } = all;
  type Who = keyof typeof tokens;

  const routes: { name: string; method: string; path: string; body?: object; expect: Record<Who, number> }[] = [
    {
      name: "register/renew",
      method: "PUT",
      path: "/v1/clusters/authz/nodes/self",
      body: { addrs: [addr(1)] },
      // join → 409: "self" has a live lease held by its credential.
      expect: { none: 401, malformed: 401, unknown: 401, join: 409, own: 200, otherNode: 403, otherClusterNode: 401, otherClusterJoin: 401, admin: 403 },
    },
    {
      name: "peers",
      method: "GET",
      path: "/v1/clusters/authz/nodes/self/peers",
      expect: { none: 401, malformed: 401, unknown: 401, join: 403, own: 200, otherNode: 403, otherClusterNode: 401, otherClusterJoin: 401, admin: 403 },
    },
    {
      name: "leave",
      method: "DELETE",
      path: "/v1/clusters/authz/nodes/self",
      expect: { none: 401, malformed: 401, unknown: 401, join: 403, own: 204, otherNode: 403, otherClusterNode: 401, otherClusterJoin: 401, admin: 403 },
    },
    {
      name: "create cluster",
      method: "POST",
      path: "/v1/admin/clusters",
      body: { name: "authz-new" },
      expect: { none: 401, malformed: 401, unknown: 403, join: 403, own: 403, otherNode: 403, otherClusterNode: 403, otherClusterJoin: 403, admin: 201 },
    },
  ];

  for (const route of routes) {
    for (const who of Object.keys(tokens) as Who[]) {
      it(`${route.name} with ${who} → ${route.expect[who]}`, async () => {
        const before = await storedState("authz");
        const res = await call(route.method, route.path, { token: tokens[who], body: route.body });
        const status = route.expect[who];
        if (status >= 400) {
          const problem = await expectProblem(res, status);
          if (status === 401) expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="peerdir"');
          // The problem never echoes the token back.
          if (tokens[who]) expect(JSON.stringify(problem)).not.toContain(tokens[who]);
          expect(await storedState("authz")).toEqual(before);
        } else {
          expect(res.status).toBe(status);
          // Undo successful mutations so every cell starts from the same state.
          if (route.name === "leave") await call("PUT", route.path, { token: self.credential, body: { addrs: [addr(1)] } });
          if (route.name === "create cluster") expect(((await res.json()) as { name: string }).name).toBe("authz-new");
        }
      });
    }
  }
});
