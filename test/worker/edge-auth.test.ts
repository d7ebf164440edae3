// Strangers stop at the edge: a request whose token the directory did not mint for the cluster
// in its path, or an unknown admin token, is refused by the Worker alone. The Worker runs here
// with its real bindings behind a counting wrapper: any use of a Durable Object namespace (get,
// getByName, idFromName, …) counts, so "zero" means no object was addressed, let alone woken.
import { createExecutionContext, listDurableObjectIds, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { mintToken } from "../../src/worker/token-mac.js";
import worker from "../../src/worker/index.js";
import { TEST_ADMIN_TOKEN } from "../support/constants.js";
import { addr, countingEnv, createCluster, join } from "./helpers.js";

const OTHER_KEY = "another-deployment-token-key-0123456789abcdef";

async function send(bindings: Env, method: string, path: string, token: string | undefined, ip: string, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { "CF-Connecting-IP": ip, ...extra };
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  const body = method === "PUT" || method === "POST" ? JSON.stringify({ addrs: [addr(1)], name: "x" }) : undefined;
  if (body) headers["Content-Type"] = "application/json";
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://peerdir.test${path}`, { method, headers, body }), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const randomName = () => `c${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
const randomIp = () => `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`;

describe("refused at the edge, before any Durable Object", async () => {
  const realJoin = await createCluster("edge-real");
  const realNode = await join("edge-real", realJoin, "node-a", { addrs: [addr(1)] });

  it("10,000 requests naming random clusters with forged, foreign or re-keyed tokens: no object call", async () => {
    const { bindings, touched } = countingEnv();
    const before = (await listDurableObjectIds(env.CLUSTER)).length;
    // (The per-address limit on failed authentication is lifted in this project: all are 401.)
    let refused = 0;
    const kinds = [
      () => realJoin, // a real join token of another cluster
      () => realNode.credential, // a real node credential of another cluster
      (c: string) => mintToken({ kind: "join", cluster: c, subject: "AAAAAAAAAAAA" }, { TOKEN_KEY: OTHER_KEY }), // right cluster, wrong key
      (c: string) => mintToken({ kind: "node", cluster: c, subject: "n1" }, { TOKEN_KEY: OTHER_KEY }),
      (c: string) => realNode.credential.replace("pdn_edge-real.node-a.", `pdn_${c}.n1.`), // a real MAC on edited claims
      () => `pdn_${"A".repeat(43)}`, // shaped like a token from before MACs
      () => "not-a-token-at-all",
      () => undefined,
    ];
    const routes = [
      (c: string) => ["PUT", `/v1/clusters/${c}/nodes/n1`, {}] as const,
      (c: string) => ["GET", `/v1/clusters/${c}/nodes/n1/peers`, {}] as const,
      (c: string) => ["DELETE", `/v1/clusters/${c}/nodes/n1`, {}] as const,
      (c: string) => ["GET", `/v1/clusters/${c}/nodes/n1/watch`, { Upgrade: "websocket" }] as const,
    ];
    const total = 10_000;
    for (let start = 0; start < total; start += 250) {
      await Promise.all(
        Array.from({ length: 250 }, async (_, j) => {
          const i = start + j;
          const cluster = randomName();
          const token = await kinds[i % kinds.length](cluster);
          const [method, path, extra] = routes[Math.floor(i / kinds.length) % routes.length](cluster);
          const res = await send(bindings, method, path, token, randomIp(), extra);
          if (res.status !== 401) throw new Error(`${method} ${path}: unexpected ${res.status} ${await res.text()}`);
          expect(res.headers.get("Content-Type")).toBe("application/problem+json");
          expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="peerdir"');
          refused++;
        }),
      );
    }
    expect(touched).toEqual([]);
    expect((await listDurableObjectIds(env.CLUSTER)).length).toBe(before);
    expect(refused).toBe(total);
  }, 120_000);

  it("a real token of one cluster is refused for another, existing cluster, by the Worker alone", async () => {
    await createCluster("edge-victim");
    const { bindings, touched } = countingEnv();
    for (const token of [realJoin, realNode.credential]) {
      const res = await send(bindings, "GET", "/v1/clusters/edge-victim/nodes/node-a/peers", token, randomIp());
      expect(res.status).toBe(401);
      expect(((await res.json()) as { detail: string }).detail).toContain('cluster "edge-victim"');
    }
    expect(touched).toEqual([]);
  });

  it("an unknown admin token never reaches an object, on any admin route", async () => {
    const { bindings, touched } = countingEnv();
    const routes = [
      ["GET", "/v1/admin/clusters"],
      ["POST", "/v1/admin/clusters"],
      ["GET", "/v1/admin/clusters/edge-real"],
      ["DELETE", "/v1/admin/clusters/edge-real"],
      ["POST", "/v1/admin/clusters/edge-real/join-tokens"],
      ["GET", "/v1/admin/clusters/edge-real/nodes"],
      ["DELETE", "/v1/admin/clusters/edge-real/nodes/node-a/credential"],
      ["GET", "/v1/admin/clusters/edge-real/audit"],
    ] as const;
    for (const [method, path] of routes) {
      for (const token of [`${TEST_ADMIN_TOKEN}x`, "", undefined]) {
        const res = await send(bindings, method, path, token === "" ? "garbage" : token, randomIp());
        expect(res.status, `${method} ${path}`).toBe(401);
      }
    }
    expect(touched).toEqual([]);
  });

  it("a deployment without TOKEN_KEY says so, and refuses node tokens", async () => {
    const { bindings, touched } = countingEnv({ TOKEN_KEY: "" });
    const res = await send(bindings, "GET", "/v1/clusters/edge-real/nodes/node-a/peers", realNode.credential, randomIp());
    expect(res.status).toBe(500);
    expect(((await res.json()) as { detail: string }).detail).toContain("TOKEN_KEY");
    expect(touched).toEqual([]);
  });
});
