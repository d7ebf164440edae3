// Security, what auth.test.ts and admin-authz.test.ts leave out:
// - the authz matrix for the watch route (Authorization header and the bearer.<token>
//   subprotocol) and for POST …/expire, and the read-only admin token on the node routes;
// - tokens are never logged (console captured in workerd during requests with bad and good
//   tokens, and through the failure paths that log) and never echoed in any response;
// - no user-supplied URL is ever fetched: URLs in every string field, query and header.
import { env, exports } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ClusterDirectory } from "../../src/worker/index.js";
import { addr, ADMIN, ADMIN_READ, admin, call, createCluster, expectProblem, join, storedState, tokenMatrix } from "./helpers.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("authorization: the routes the other matrices leave out", async () => {
  const { self, tokens } = await tokenMatrix("sec");
  type Who = keyof typeof tokens;
  const whos = Object.keys(tokens) as Who[];

  const watchExpect: Record<Who, number> = {
    none: 401,
    malformed: 401,
    unknown: 401,
    join: 403,
    own: 101,
    otherNode: 403,
    otherClusterNode: 401,
    otherClusterJoin: 401,
    admin: 403,
    read: 403,
  };
  for (const via of ["header", "subprotocol"] as const) {
    for (const who of whos) {
      // The subprotocol cannot carry a token with spaces; "malformed" is the header case only.
      if (via === "subprotocol" && (who === "none" || who === "malformed")) continue;
      it(`GET …/watch (token in the ${via}) with ${who} → ${watchExpect[who]}`, async () => {
        const headers: Record<string, string> = { Upgrade: "websocket" };
        const token = tokens[who];
        if (token !== undefined) {
          if (via === "header") headers.Authorization = `Bearer ${token}`;
          else headers["Sec-WebSocket-Protocol"] = `peerdir, bearer.${token}`;
        }
        const before = await storedState("sec");
        const res = await exports.default.fetch(new Request("http://peerdir.test/v1/clusters/sec/nodes/self/watch", { headers }));
        if (watchExpect[who] === 101) {
          expect(res.status).toBe(101);
          res.webSocket!.accept();
          res.webSocket!.close(1000, "done");
          return;
        }
        const problem = await expectProblem(res, watchExpect[who]);
        if (token) expect(JSON.stringify(problem)).not.toContain(token);
        expect(await storedState("sec")).toEqual(before);
      });
    }
  }

  it("a plain GET on the watch route is 426 even with a valid credential", async () => {
    await expectProblem(await call("GET", "/v1/clusters/sec/nodes/self/watch", { token: self.credential }), 426);
  });

  // "unknown" is pdn_-prefixed: a node-looking token on an admin route is 403, as in admin-authz.test.ts.
  const expireExpect: Record<Who, number> = {
    none: 401,
    malformed: 401,
    unknown: 403,
    join: 403,
    own: 403,
    otherNode: 403,
    otherClusterNode: 403,
    otherClusterJoin: 403,
    admin: 200,
    read: 403,
  };
  for (const who of whos) {
    it(`POST …/expire with ${who} → ${expireExpect[who]}`, async () => {
      const before = await storedState("sec");
      const res = await call("POST", "/v1/admin/clusters/sec/expire", { token: tokens[who] });
      if (expireExpect[who] >= 400) {
        await expectProblem(res, expireExpect[who]);
        expect(await storedState("sec")).toEqual(before);
      } else {
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ expired: 0 });
      }
    });
  }

  for (const [method, path, body] of [
    ["PUT", "/v1/clusters/sec/nodes/self", { addrs: [addr(1)] }],
    ["GET", "/v1/clusters/sec/nodes/self/peers", undefined],
    ["DELETE", "/v1/clusters/sec/nodes/self", undefined],
  ] as const) {
    it(`${method} ${path} with the read-only admin token → 403`, async () => {
      const before = await storedState("sec");
      await expectProblem(await call(method, path, { token: ADMIN_READ, body }), 403);
      expect(await storedState("sec")).toEqual(before);
    });
  }
});

/** Runs `work` with every console method captured; returns everything logged, as text. */
async function captureConsole(work: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    });
  }
  await work();
  return lines.join("\n");
}

describe("tokens are never logged or echoed", () => {
  it("no token appears in any log line or response, across good, bad and failing requests", async () => {
    const secrets: string[] = [ADMIN, ADMIN_READ];
    const seen: string[] = [];
    const record = async (res: Response, mayReturnSecret = false) => {
      seen.push([...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n"));
      if (res.webSocket) {
        res.webSocket.accept();
        res.webSocket.close(1000, "done");
        return res;
      }
      const text = await res.clone().text();
      if (!mayReturnSecret) seen.push(text);
      return res;
    };
    const logged = await captureConsole(async () => {
      const created = await record(await call("POST", "/v1/admin/clusters", { token: ADMIN, body: { name: "sec-log" } }), true);
      const joinToken = ((await created.json()) as { joinToken: string }).joinToken;
      secrets.push(joinToken);
      const registered = await record(await call("PUT", "/v1/clusters/sec-log/nodes/a", { token: joinToken, body: { addrs: [addr(1)] } }), true);
      const credential = ((await registered.json()) as { credential: string }).credential;
      secrets.push(credential);
      const issued = await record(await call("POST", "/v1/admin/clusters/sec-log/join-tokens", { token: ADMIN, body: {} }), true);
      secrets.push(((await issued.json()) as { token: string }).token);
      const bogus = ["pdn_bogus-credential-0123456789abcdef", "pdj_bogus-join-token-0123456789abcdef", "wrong-admin-token-0123456789abcdef"];
      secrets.push(...bogus);
      // Good and bad tokens on every kind of route, in the header and in the subprotocol.
      for (const token of [...secrets, "has spaces 0123456789abcdef"]) {
        await record(await call("PUT", "/v1/clusters/sec-log/nodes/a", { token, body: { addrs: [addr(1)] } }));
        await record(await call("PUT", "/v1/clusters/sec-log/nodes/a", { token, body: { addrs: ["not a multiaddr"] } }));
        await record(await call("GET", "/v1/clusters/sec-log/nodes/a/peers", { token }));
        await record(await call("GET", "/v1/clusters/sec-log/nodes/b/peers", { token }));
        await record(await call("DELETE", "/v1/clusters/sec-log/nodes/zz", { token }));
        await record(await call("GET", "/v1/admin/clusters/sec-log", { token }));
        await record(await call("PATCH", "/v1/admin/clusters/sec-log", { token, body: { maxNodes: -1 } }));
        await record(await call("GET", "/v1/admin/clusters/nope/nodes", { token }));
        await record(await call("GET", "/v1/nothing-here", { token }));
        await record(
          await exports.default.fetch(
            new Request("http://peerdir.test/v1/clusters/sec-log/nodes/a/watch", { headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": `peerdir, bearer.${token}` } }),
          ),
        );
      }
      // The one path that logs by design: an alarm run that fails (it logs the error).
      const stub = env.CLUSTER.getByName("sec-log");
      await runInDurableObject(stub, (_instance: ClusterDirectory, state) => {
        state.storage.sql.exec("UPDATE nodes SET expires_at = 1, ttl_seconds = 0");
      });
      await evictDurableObject(stub); // reload, so the lease is due in memory too (a TTL of 0: no restart grace)
      await runInDurableObject(stub, async (instance: ClusterDirectory, state) => {
        state.storage.sql.exec("ALTER TABLE nodes RENAME TO nodes_broken");
        try {
          await instance.alarm({ retryCount: 5, isRetry: true, scheduledTime: Date.now() });
        } finally {
          state.storage.sql.exec("ALTER TABLE nodes_broken RENAME TO nodes");
        }
      });
    });
    expect(logged, "the failing alarm logs something, so the capture works").toContain("alarm failed");
    const responses = seen.join("\n");
    for (const secret of secrets) {
      // Any 16-character piece of a secret is enough to count as leaked.
      for (let i = 0; i + 16 <= secret.length; i += 8) {
        const piece = secret.slice(i, i + 16);
        expect(logged.includes(piece), `a log line contains part of ${secret.slice(0, 6)}…`).toBe(false);
        expect(responses.includes(piece), `a response contains part of ${secret.slice(0, 6)}…`).toBe(false);
      }
    }
  });

  it("the stored rows hold hashes only, never a secret", async () => {
    const created = await call("POST", "/v1/admin/clusters", { token: ADMIN, body: { name: "sec-store" } });
    const joinToken = ((await created.json()) as { joinToken: string }).joinToken;
    const node = await join("sec-store", joinToken, "a", { addrs: [addr(1)] });
    const dump = await runInDurableObject(env.CLUSTER.getByName("sec-store"), (_i, state) => {
      const sql = state.storage.sql;
      const tables = sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'")
        .toArray()
        .map((t) => t.name);
      return JSON.stringify(tables.map((t) => sql.exec(`SELECT * FROM "${t}"`).toArray()));
    });
    for (const secret of [joinToken, node.credential, ADMIN, ADMIN_READ]) expect(dump.includes(secret.slice(4, 24))).toBe(false);
  });
});

describe("no user-supplied URL is ever fetched", () => {
  it("sends URLs in every string field, query and header; the directory makes no outbound request", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const urls = ["http://169.254.169.254/latest/meta-data/", "https://evil.example/hook", "http://127.0.0.1:8787/v1/admin/clusters", "//evil.example/x", "file:///etc/passwd"];
    const joinToken = await createCluster("sec-url");
    await admin("PATCH", "/v1/admin/clusters/sec-url", { minIntervalSeconds: 0 });
    const node = await join("sec-url", joinToken, "a", { addrs: [addr(1)] });
    const statuses = new Set<number>();
    for (const url of urls) {
      const headers = { Referer: url, Origin: url, "X-Forwarded-Host": url, Forwarded: `host=${url}`, "CF-Connecting-IP": url, "X-Callback-Url": url, Location: url };
      const enc = encodeURIComponent(url);
      const requests: [string, string, string | undefined, unknown][] = [
        [
          "PUT",
          "/v1/clusters/sec-url/nodes/a",
          node.credential,
          { addrs: [addr(1), `/dns4/${new URL(url, "http://x").hostname || "evil.example"}/tcp/443`], labels: { callback: url.slice(0, 60), webhook: "https://evil.example" } },
        ],
        ["PUT", "/v1/clusters/sec-url/nodes/a", node.credential, { addrs: [url] }],
        ["PUT", "/v1/clusters/sec-url/nodes/b", joinToken, { addrs: ["/dnsaddr/evil.example"], labels: { url: url.slice(0, 60) } }],
        ["GET", `/v1/clusters/sec-url/nodes/a/peers?limit=2&callback=${enc}&url=${enc}`, node.credential, undefined],
        ["GET", `/v1/clusters/sec-url/nodes/${enc}/peers`, node.credential, undefined],
        ["POST", "/v1/admin/clusters", ADMIN, { name: url }],
        ["PATCH", "/v1/admin/clusters/sec-url", ADMIN, { webhook: url }],
        ["PUT", "/v1/admin/clusters/sec-url/overrides/p", ADMIN, { action: "pin", addrs: ["/dns4/evil.example/tcp/80"], labels: { url: url.slice(0, 60) }, reason: url }],
        ["PUT", "/v1/admin/clusters/sec-url/overrides/q", ADMIN, { action: "block", reason: url }],
        ["POST", "/v1/admin/clusters/sec-url/nodes/b/evict", ADMIN, { reason: url }],
        ["POST", "/v1/admin/clusters/sec-url/join-tokens", ADMIN, { expiresAt: url }],
        ["GET", `/v1/admin/clusters/sec-url/audit?cursor=${enc}`, ADMIN, undefined],
        ["GET", `/v1/admin/clusters/sec-url/nodes/a/handout?limit=${enc}`, ADMIN, undefined],
        ["GET", `/${enc}`, undefined, undefined],
        ["GET", `/openapi.json?url=${enc}`, undefined, undefined],
      ];
      for (const [method, path, token, body] of requests) {
        const res = await call(method, path, { token, body, headers });
        statuses.add(res.status);
        expect(res.status, `${method} ${path}`).toBeLessThan(500);
        await res.arrayBuffer();
      }
      const ws = await exports.default.fetch(
        new Request("http://peerdir.test/v1/clusters/sec-url/nodes/a/watch", { headers: { ...headers, Upgrade: "websocket", Authorization: `Bearer ${node.credential}` } }),
      );
      if (ws.webSocket) {
        ws.webSocket.accept();
        ws.webSocket.send(JSON.stringify({ type: "renew", addrs: [addr(1)], labels: { url: url.slice(0, 60) } }));
        ws.webSocket.send(JSON.stringify({ type: "renew", addrs: [url] }));
        ws.webSocket.close(1000, "done");
      }
    }
    // Both kinds of answer happened: some requests were accepted (so the URLs reached storage),
    // some refused — and neither kind made the directory fetch anything.
    expect([...statuses].some((s) => s < 300)).toBe(true);
    expect([...statuses].some((s) => s >= 400)).toBe(true);
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});
