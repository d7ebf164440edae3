/** Requests against the real Worker (in this workerd), and the few steps most tests share. */
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../../src/worker/index.js";
import { TEST_ADMIN_READ_TOKEN, TEST_ADMIN_TOKEN } from "../support/constants.js";

export const ADMIN = TEST_ADMIN_TOKEN;
export const ADMIN_READ = TEST_ADMIN_READ_TOKEN;
export const PEER_ID_A = "12D3KooWQYYD1DDK4HCYgXHiVaPLVBVpUMpZzDXjHZTJsU9rZPGR";
export const PEER_ID_B = "QmYhKqgZLrFbduFUSvuWJbDCZ1TbSU8ZMTDFUNA8s7U4ca";

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as-is, bypassing JSON encoding. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export async function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] ??= "application/json";
  }
  return exports.default.fetch(new Request(`http://peerdir.test${path}`, { method, headers, body }));
}

export async function createCluster(name: string): Promise<string> {
  const res = await call("POST", "/v1/admin/clusters", { token: ADMIN, body: { name } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { joinToken: string }).joinToken;
}

export const addr = (n: number) => `/ip4/10.0.${Math.floor(n / 250)}.${(n % 250) + 1}/tcp/5001`;

export interface Registered {
  node: string;
  credential: string;
  version: number;
}

export async function join(cluster: string, joinToken: string, node: string, body: object = { addrs: [addr(0)] }): Promise<Registered> {
  const res = await call("PUT", `/v1/clusters/${cluster}/nodes/${node}`, { token: joinToken, body });
  expect(res.status, await res.clone().text()).toBe(201);
  const json = (await res.json()) as { credential: string; version: number };
  return { node, credential: json.credential, version: json.version };
}

export async function peersOf(cluster: string, node: string, credential: string, query = "") {
  const res = await call("GET", `/v1/clusters/${cluster}/nodes/${node}/peers${query}`, { token: credential });
  expect(res.status, await res.clone().text()).toBe(200);
  return { etag: res.headers.get("ETag"), ...((await res.json()) as { version: number; peers: { id: string; addrs: string[]; labels: Record<string, string> }[] }) };
}

export async function expectProblem(res: Response, status: number): Promise<{ type: string; detail: string; errors?: { pointer: string }[] }> {
  expect(res.status).toBe(status);
  expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  const body = (await res.json()) as { type: string; title: string; status: number; detail: string; errors?: { pointer: string }[] };
  expect(body.status).toBe(status);
  expect(body.title).toBeTruthy();
  expect(body.detail).toBeTruthy();
  return body;
}

/** Everything the cluster has stored, read straight from its SQLite: for "nothing changed" checks. */
export async function storedState(cluster: string) {
  return runInDurableObject(env.CLUSTER.getByName(cluster), (_instance, state) => {
    const sql = state.storage.sql;
    const table = (name: string) =>
      sql.exec(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`, name).toArray().length ? sql.exec(`SELECT * FROM ${name} ORDER BY 1`).toArray() : [];
    return { cluster: table("cluster"), nodes: table("nodes"), joinTokens: table("join_tokens") };
  });
}

/** An admin call that must succeed; returns the parsed body (or null for 204). */
export async function admin<T = unknown>(method: string, path: string, body?: unknown, token = ADMIN): Promise<T> {
  const res = await call(method, path, { token, body });
  expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
  return (res.status === 204 ? null : await res.json()) as T;
}

/**
 * A cluster with nodes "self" and "other", a second cluster with its own "self", and every kind
 * of token a caller might present to the first cluster's node routes: for authorization matrices.
 */
export async function tokenMatrix(cluster: string) {
  const joinToken = await createCluster(cluster);
  const self = await join(cluster, joinToken, "self", { addrs: [addr(1)] });
  const other = await join(cluster, joinToken, "other", { addrs: [addr(2)] });
  const otherClusterJoin = await createCluster(`${cluster}-other`);
  const foreign = await join(`${cluster}-other`, otherClusterJoin, "self", { addrs: [addr(3)] });
  const tokens = {
    none: undefined,
    malformed: "has spaces in it",
    unknown: "pdn_not-a-real-credential",
    join: joinToken,
    own: self.credential,
    otherNode: other.credential,
    otherClusterNode: foreign.credential,
    otherClusterJoin,
    admin: ADMIN,
    read: ADMIN_READ,
  } as const;
  return { joinToken, self, other, tokens };
}

/**
 * The Worker's real bindings behind a counting wrapper: any use of a Durable Object namespace
 * (get, getByName, idFromName, …) is recorded, so "none" means no object was addressed, let
 * alone woken. `fetch` sends a request through the Worker with these bindings.
 */
export function countingEnv(overrides: Partial<Env> = {}) {
  const touched: string[] = [];
  const counted = (name: string, ns: object) =>
    new Proxy(ns, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          touched.push(`${name}.${String(prop)}`);
          return value.apply(target, args);
        };
      },
    });
  const bindings = { ...env, CLUSTER: counted("CLUSTER", env.CLUSTER), CATALOG: counted("CATALOG", env.CATALOG), ...overrides } as Env;
  async function fetch(request: Request): Promise<Response> {
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, bindings, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }
  return { bindings, touched, fetch };
}
