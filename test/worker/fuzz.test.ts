// Fuzzing every route: random paths (real routes with fuzzed segments, and
// garbage), methods, headers, tokens, query strings and bodies — deep nesting, huge strings,
// unicode, invalid JSON, wrong types, number edge cases, duplicate keys, `__proto__` and
// `constructor` keys. Whatever arrives: never a 5xx; every 4xx is application/problem+json with
// a matching `status`; and the cluster's stored state (its SQLite tables) is exactly what it was
// after every rejected request. Outbound requests are trapped for the whole suite (setup.ts).
import fc from "fast-check";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { addr, ADMIN, ADMIN_READ, admin, call, join, PEER_ID_A, storedState } from "./helpers.js";

const CLUSTER = "fz";

/** The fuzzed cluster with two live nodes; recreated if a fuzzed admin DELETE removed it. */
async function ensureCluster(): Promise<{ join: string; n1: string; n2: string }> {
  const exists = await call("GET", `/v1/admin/clusters/${CLUSTER}`, { token: ADMIN });
  if (exists.status === 200) await admin("DELETE", `/v1/admin/clusters/${CLUSTER}`);
  const created = await call("POST", "/v1/admin/clusters", { token: ADMIN, body: { name: CLUSTER } });
  expect(created.status).toBe(201);
  const joinToken = ((await created.json()) as { joinToken: string }).joinToken;
  // No per-node rate limit, so fuzzed node requests reach the object's logic instead of 429.
  await admin("PATCH", `/v1/admin/clusters/${CLUSTER}`, { minIntervalSeconds: 0 });
  const n1 = await join(CLUSTER, joinToken, "n1", { addrs: [addr(1)], labels: { zone: "a" } });
  const n2 = await join(CLUSTER, joinToken, "n2", { addrs: [addr(2)] });
  return { join: joinToken, n1: n1.credential, n2: n2.credential };
}

// ---- generators --------------------------------------------------------------------------------

const weird = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom(
    "",
    " ",
    "..",
    ".",
    "%00",
    "%ZZ",
    "%",
    "%2F",
    "%C3%28",
    "n1%2F..%2Fn2",
    "\u0000",
    "é",
    "😀",
    "a".repeat(300),
    "__proto__",
    "constructor",
    "prototype",
    "null",
    "-1",
    "1e999",
    "NaN",
  ),
);
/** A path segment: usually valid or plausible, sometimes anything (raw, or percent-encoded). */
const segment = (valid: string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...valid) },
    { weight: 1, arbitrary: weird.map((s) => encodeURIComponent(s)) },
    { weight: 1, arbitrary: fc.constantFrom("%ZZ", "%", "%C3%28", "..", "%2e%2e", "n1%00", "N1", "-n", ".n") },
  );
const cluster = segment([CLUSTER, CLUSTER, "nope", "fz-other"]);
const node = segment(["n1", "n2", "ghost", "n3"]);

const pathArb: fc.Arbitrary<string> = fc.oneof(
  fc.constant("/healthz"),
  fc.constant("/openapi.json"),
  fc.constant("/v1/admin/clusters"),
  cluster.map((c) => `/v1/admin/clusters/${c}`),
  cluster.map((c) => `/v1/admin/clusters/${c}/expire`),
  cluster.map((c) => `/v1/admin/clusters/${c}/join-tokens`),
  fc.tuple(cluster, segment(["abc", "t1"])).map(([c, t]) => `/v1/admin/clusters/${c}/join-tokens/${t}`),
  cluster.map((c) => `/v1/admin/clusters/${c}/nodes`),
  fc.tuple(cluster, node).map(([c, n]) => `/v1/admin/clusters/${c}/nodes/${n}/credential`),
  fc.tuple(cluster, node).map(([c, n]) => `/v1/admin/clusters/${c}/nodes/${n}/evict`),
  fc.tuple(cluster, node).map(([c, n]) => `/v1/admin/clusters/${c}/nodes/${n}/handout`),
  fc.tuple(cluster, node).map(([c, n]) => `/v1/admin/clusters/${c}/overrides/${n}`),
  cluster.map((c) => `/v1/admin/clusters/${c}/overrides`),
  cluster.map((c) => `/v1/admin/clusters/${c}/audit`),
  fc.tuple(cluster, node).map(([c, n]) => `/v1/clusters/${c}/nodes/${n}`),
  fc.tuple(cluster, node).map(([c, n]) => `/v1/clusters/${c}/nodes/${n}/peers`),
  fc.tuple(cluster, node).map(([c, n]) => `/v1/clusters/${c}/nodes/${n}/watch`),
  fc.array(weird.map(encodeURIComponent), { maxLength: 6 }).map((parts) => `/${parts.join("/")}`),
  fc.constantFrom(
    "/",
    "//",
    "/v1",
    "/v1/",
    "/v1/clusters",
    "/v1/admin",
    "/v1/admin/clusters/",
    "/v1/clusters/fz/nodes/",
    "/v1/clusters/fz/nodes/n1/",
    "/v1/clusters/fz/nodes/n1/peers/",
  ),
);

const numberEdge = fc.constantFrom(
  "0",
  "-0",
  "-1",
  "1",
  "1.5",
  "1e308",
  "1e-308",
  "9007199254740993",
  "-9007199254740993",
  "NaN",
  "Infinity",
  "0x10",
  "1_000",
  " 5",
  "5 ",
  "",
  "61",
  "3600",
  "abc",
);
const queryArb: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.constantFrom("limit", "since", "wait", "cursor", "unknown", "__proto__", "limit[]", "constructor"),
      // `wait` never gets a positive number: a long-poll would hold the request for that long.
      fc.oneof(
        numberEdge.filter((v) => !/^\s*[1-9]/.test(v) && !v.startsWith("0x") && !v.startsWith("1")),
        weird,
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")}` : ""));

/** Numbers that JSON can carry, and a few it cannot, written raw. */
const rawNumber = fc.constantFrom(
  "0",
  "-0",
  "-1",
  "1.5",
  "1e308",
  "1e309",
  "-1e309",
  "9007199254740993",
  "1E2",
  "0.0000001",
  "123456789012345678901234567890",
  "60",
  "10",
  "3600",
  "3601",
);
const jsonScalar = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: "grapheme", maxLength: 10 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const fieldValue = fc.oneof(
  jsonScalar,
  fc.constantFrom(
    addr(1),
    `/ip4/10.0.0.9/tcp/1/p2p/${PEER_ID_A}`,
    "/dns4/example.com/tcp/1",
    "2040-01-01T00:00:00.000Z",
    "2000-01-01T00:00:00Z",
    "pin",
    "block",
    "drain",
    "x".repeat(300),
  ),
  fc.array(jsonScalar, { maxLength: 20 }),
  fc.array(fc.constantFrom(addr(1), addr(2), "/ip4/1.2.3.4/tcp/0", "garbage"), { maxLength: 20 }),
  fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom("zone", "__proto__", "constructor", "")), fc.oneof(jsonScalar, fc.constant({})), { maxKeys: 20 }),
);
const knownKeys = fc.constantFrom(
  "addrs",
  "labels",
  "ttlSeconds",
  "name",
  "action",
  "reason",
  "expiresAt",
  "maxNodes",
  "minTtlSeconds",
  "defaultTtlSeconds",
  "maxTtlSeconds",
  "minIntervalSeconds",
  "defaultLimit",
  "addressPolicy",
  "probing",
  "probeRanges",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
);

/** A body as raw text (it may not be JSON at all). */
const bodyArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  // Objects of the fields the routes know, with values of every type.
  { weight: 6, arbitrary: fc.dictionary(knownKeys, fieldValue, { maxKeys: 6 }).map((o) => JSON.stringify(o)) },
  // Anything JSON.
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)) },
  // Deep nesting, in arrays and objects.
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 5000 }).map((n) => "[".repeat(n) + "]".repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 1500 }).map((n) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`) },
  // Huge strings, around the 16 KiB limit.
  { weight: 1, arbitrary: fc.constantFrom(15_000, 16_384, 16_385, 40_000).map((n) => JSON.stringify({ addrs: [addr(1)], labels: { zone: "é".repeat(Math.floor(n / 2)) } })) },
  // Number edge cases written raw, in the fields where numbers go.
  { weight: 2, arbitrary: fc.tuple(knownKeys, rawNumber).map(([k, n]) => `{"addrs":["${addr(1)}"],"${k}":${n}}`) },
  // Duplicate keys, prototype keys, invalid JSON, odd encodings.
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      `{"addrs":["${addr(1)}"],"addrs":5}`,
      `{"addrs":5,"addrs":["${addr(1)}"]}`,
      `{"name":"fz","name":"fz2"}`,
      `{"action":"pin","action":"block","reason":"x"}`,
      `{"__proto__":{"admin":true},"addrs":["${addr(1)}"]}`,
      `{"constructor":{"prototype":{"polluted":true}}}`,
      `{"addrs":["${addr(1)}"],"labels":{"__proto__":"x"}}`,
      `{"addrs":["${addr(1)}"],"labels":{"constructor":"x","toString":"y"}}`,
      `{"action":"block","reason":"x","__proto__":{"action":"pin"}}`,
      "{",
      "[1,",
      "{'a':1}",
      '{"a":1,}',
      "\u0000",
      "\uFEFF{}",
      "null",
      "true",
      "1",
      '"string"',
      "",
      " ",
      '{"addrs":["\\ud800"]}',
      '{"name":"\\u0000"}',
      '{"reason":"\\u202e"}',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
);

const METHODS = ["GET", "GET", "GET", "POST", "POST", "PUT", "PUT", "PATCH", "DELETE", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "get"];

interface Tokens {
  join: string;
  n1: string;
  n2: string;
}
type TokenPick = "none" | "admin" | "read" | "join" | "n1" | "n2" | "garbage" | "long" | "basic" | "empty" | "lower";
const tokenArb = fc.constantFrom<TokenPick>("none", "admin", "read", "join", "n1", "n2", "n1", "n2", "garbage", "long", "basic", "empty", "lower");
const authHeader = (pick: TokenPick, t: Tokens): string | undefined => {
  switch (pick) {
    case "none":
      return undefined;
    case "admin":
      return `Bearer ${ADMIN}`;
    case "read":
      return `Bearer ${ADMIN_READ}`;
    case "join":
      return `Bearer ${t.join}`;
    case "n1":
      return `Bearer ${t.n1}`;
    case "n2":
      return `Bearer ${t.n2}`;
    case "garbage":
      return "Bearer pdn_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    case "long":
      return `Bearer ${"a".repeat(2000)}`;
    case "basic":
      return "Basic dXNlcjpwYXNz";
    case "empty":
      return "Bearer ";
    case "lower":
      return `bearer   ${t.n1}   `;
  }
};
const headerArb = fc.record(
  {
    contentType: fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      "text/plain",
      "",
      "application/problem+json",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/json, text/plain",
    ),
    ifNoneMatch: fc.constantFrom('"1"', 'W/"2"', "garbage", '"99999999999999999999"', ""),
    ip: fc.constantFrom("10.0.0.1", "::1", "not-an-ip", "999.1.1.1", ""),
    upgrade: fc.constantFrom("websocket", "h2c", "WebSocket"),
    protocol: fc.constantFrom("peerdir", "peerdir, bearer.x", "bearer.", "a,,b"),
    accept: fc.constantFrom("application/json", "*/*", "text/html"),
    forwarded: fc.constantFrom("for=1.2.3.4", "http://evil.example/"),
  },
  { requiredKeys: [] },
);

interface FuzzRequest {
  method: string;
  path: string;
  query: string;
  token: TokenPick;
  headers: Partial<Record<"contentType" | "ifNoneMatch" | "ip" | "upgrade" | "protocol" | "accept" | "forwarded", string>>;
  body: string | undefined;
}
const requestArb: fc.Arbitrary<FuzzRequest> = fc.record({
  method: fc.constantFrom(...METHODS),
  path: pathArb,
  query: queryArb,
  token: tokenArb,
  headers: headerArb,
  body: bodyArb,
});

// ---- the property ------------------------------------------------------------------------------

let sent = 0;
const statuses = new Map<number, number>();

async function send(req: FuzzRequest, tokens: Tokens): Promise<void> {
  const headers = new Headers();
  const auth = authHeader(req.token, tokens);
  if (auth !== undefined) headers.set("Authorization", auth);
  if (req.headers.contentType !== undefined) headers.set("Content-Type", req.headers.contentType);
  if (req.headers.ifNoneMatch !== undefined) headers.set("If-None-Match", req.headers.ifNoneMatch);
  if (req.headers.ip !== undefined) headers.set("CF-Connecting-IP", req.headers.ip);
  if (req.headers.upgrade !== undefined) headers.set("Upgrade", req.headers.upgrade);
  if (req.headers.protocol !== undefined) headers.set("Sec-WebSocket-Protocol", req.headers.protocol);
  if (req.headers.accept !== undefined) headers.set("Accept", req.headers.accept);
  if (req.headers.forwarded !== undefined) headers.set("Forwarded", req.headers.forwarded);
  const method = req.method.toUpperCase();
  const body = method === "GET" || method === "HEAD" ? undefined : req.body;
  let request: Request;
  try {
    request = new Request(`http://peerdir.test${req.path}${req.query}`, { method: req.method, headers, body });
  } catch {
    return; // not a request a client can even build (e.g. TRACE with a body); nothing to send
  }
  const before = await storedState(CLUSTER);
  const res = await exports.default.fetch(request);
  sent++;
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  const what = `${req.method} ${req.path}${req.query} (token ${req.token}, body ${JSON.stringify(body?.slice(0, 200))})`;
  expect(res.status, what).toBeLessThan(500);
  if (res.webSocket) {
    res.webSocket.accept();
    res.webSocket.close(1000, "fuzz done");
  }
  if (res.status >= 400) {
    expect(res.headers.get("Content-Type"), what).toBe("application/problem+json");
    if (method !== "HEAD") {
      const problem = (await res.json()) as { type: string; title: string; status: number; detail: string };
      expect(problem.status, what).toBe(res.status);
      expect(typeof problem.type === "string" && typeof problem.title === "string" && typeof problem.detail === "string", what).toBe(true);
      // A rejected request never echoes a secret it was sent.
      const text = JSON.stringify(problem);
      for (const secret of [ADMIN, ADMIN_READ, tokens.join, tokens.n1, tokens.n2]) expect(text.includes(secret), `${what} echoed a token`).toBe(false);
    } else await res.arrayBuffer();
    expect(await storedState(CLUSTER), `${what} changed the stored state`).toEqual(before);
  } else {
    await res.arrayBuffer();
  }
}

describe("fuzzing every route", () => {
  it("never answers 5xx, always problem+json on 4xx, and changes nothing when it refuses", { timeout: 120_000 }, async () => {
    let tokens = await ensureCluster();
    await fc.assert(
      fc.asyncProperty(fc.array(requestArb, { minLength: 1, maxLength: 10 }), async (requests) => {
        // A fuzzed admin call may have deleted the cluster, evicted or revoked a node: start clean.
        const n1 = await call("GET", `/v1/clusters/${CLUSTER}/nodes/n1/peers`, { token: tokens.n1 });
        const n2 = await call("GET", `/v1/clusters/${CLUSTER}/nodes/n2/peers`, { token: tokens.n2 });
        if (n1.status !== 200 || n2.status !== 200) tokens = await ensureCluster();
        for (const req of requests) await send(req, tokens);
      }),
      { numRuns: 60 },
    );
    expect(sent).toBeGreaterThanOrEqual(250);
  });

  it("sends every route each body kind with valid tokens (so validation, not auth, is what refuses)", { timeout: 120_000 }, async () => {
    const tokens = await ensureCluster();
    const routes: [string, string, TokenPick][] = [
      ["PUT", `/v1/clusters/${CLUSTER}/nodes/n1`, "n1"],
      ["PUT", `/v1/clusters/${CLUSTER}/nodes/n9`, "join"],
      ["POST", "/v1/admin/clusters", "admin"],
      ["PATCH", `/v1/admin/clusters/${CLUSTER}`, "admin"],
      ["POST", `/v1/admin/clusters/${CLUSTER}/join-tokens`, "admin"],
      ["POST", `/v1/admin/clusters/${CLUSTER}/nodes/n2/evict`, "admin"],
      ["PUT", `/v1/admin/clusters/${CLUSTER}/overrides/n2`, "admin"],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), bodyArb, async ([method, path, token], body) => {
        await send({ method, path, query: "", token, headers: { contentType: "application/json" }, body }, tokens);
      }),
      { numRuns: 150 },
    );
    console.log(`fuzz: ${sent} requests in all; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
  });
});
