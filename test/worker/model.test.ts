// Model-based test against the real Worker and Durable Object: the
// command sequences of test/unit/model.test.ts, replayed through HTTP (node routes with real join
// tokens and credentials, admin routes for overrides, eviction, revocation and forced expiry), the
// real alarm handler (runDurableObjectAlarm), and the object evicted at random between steps
// (evictDurableObject: it reloads everything from SQLite). The clock is faked (vi.setSystemTime),
// which the object shares with the test, starting in 2040 so that no alarm fires by itself.
//
// After every step: each status, the cluster's version, live count and degraded flag (admin
// GET, which runs no expiry) agree with the reference model; and after every step but a bare
// clock advance, every node id's handout (full and limited, as the object computes it for the
// admin preview), the nodes view, and one live node's own HTTP peers request agree too.
import fc from "fast-check";
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterAll, describe, expect, it, vi } from "vitest";
import type { ClusterDetail } from "../../src/contract/admin.js";
import type { ClusterDirectory } from "../../src/worker/index.js";
import { ADDRS, BOGUS, ClusterModel, JOIN, LIMIT, labelsOf, MAX_NODES, NODE_IDS, sequenceArb } from "../support/cluster-model.js";
import type { Cmd, Coverage, Expected, Peer } from "../support/cluster-model.js";
import { ADMIN, admin, call } from "./helpers.js";

const RUNS = 50;
const T0 = Date.UTC(2040, 0, 1);
/** The Durable Object's credential retention (DEFAULT_CORE_OPTIONS): 7 days. */
const RETENTION_MS = 7 * 24 * 3600 * 1000;
const coverage: Coverage = {};
let sequences = 0;
let steps = 0;

async function replay(cmds: Cmd[]): Promise<void> {
  const name = `model-${++sequences}`;
  const stub = env.CLUSTER.getByName(name);
  vi.setSystemTime(T0);
  const created = await call("POST", "/v1/admin/clusters", { token: ADMIN, body: { name } });
  expect(created.status).toBe(201);
  const joinToken = ((await created.json()) as { joinToken: string }).joinToken;
  const detail = await admin<ClusterDetail>("PATCH", `/v1/admin/clusters/${name}`, { maxNodes: MAX_NODES, minIntervalSeconds: 0 });
  const model = new ClusterModel(T0, detail.version, RETENTION_MS, coverage);
  // Model credential ids → the real secrets the Worker issued for them.
  const secrets = new Map<string, string>([
    [JOIN, joinToken],
    [BOGUS, "pdn_bogus-credential-that-was-never-issued"],
  ]);
  const secret = (token: string | undefined) => secrets.get(token!) ?? `pdn_unmapped-${token}`;
  const nodePath = (id: string) => `/v1/clusters/${name}/nodes/${id}`;
  const adminPath = (rest: string) => `/v1/admin/clusters/${name}${rest}`;
  const register = async (id: string, e: Expected, addrs: string[], labels: Record<string, string>, ttl: number) => {
    const res = await call("PUT", nodePath(id), { token: secret(e.token), body: { addrs, labels, ttlSeconds: ttl } });
    if (res.status === 201 && e.fresh) secrets.set(e.fresh, ((await res.json()) as { credential: string }).credential);
    return res.status;
  };
  const expiresAt = (ms: number | null) => (ms === null ? {} : { expiresAt: new Date(model.now + ms).toISOString() });

  for (const [index, cmd] of cmds.entries()) {
    steps++;
    const where = `${name} step ${index} ${JSON.stringify(cmd)}`;
    const id = "node" in cmd ? NODE_IDS[cmd.node] : "";
    const before = model.nodes.get(id);
    const renewWith = { addrs: before ? before.addrs : [ADDRS[0]], labels: before ? before.labels : {} };
    const nowBefore = model.now;
    const expected = model.apply(cmd);
    let actual: number | number[] | null = null;
    switch (cmd.t) {
      case "join":
      case "reg":
        actual = await register(id, expected as Expected, [ADDRS[cmd.addr]], labelsOf(cmd.zone), cmd.ttl);
        break;
      case "renew":
        actual = await register(id, expected as Expected, renewWith.addrs, renewWith.labels, cmd.ttl);
        break;
      case "leave":
        actual = (await call("DELETE", nodePath(id), { token: secret((expected as Expected).token) })).status;
        break;
      case "pin":
        actual = (
          await call("PUT", adminPath(`/overrides/${id}`), {
            token: ADMIN,
            body: { action: "pin", addrs: [ADDRS[cmd.addr]], labels: labelsOf(cmd.zone), reason: "model", ...expiresAt(cmd.expiresIn) },
          })
        ).status;
        break;
      case "block":
      case "drain":
        actual = (await call("PUT", adminPath(`/overrides/${id}`), { token: ADMIN, body: { action: cmd.t, reason: "model", ...expiresAt(cmd.expiresIn) } })).status;
        break;
      case "lift":
        actual = (await call("DELETE", adminPath(`/overrides/${id}`), { token: ADMIN })).status;
        break;
      case "evict":
        actual = (await call("POST", adminPath(`/nodes/${id}/evict`), { token: ADMIN, body: { reason: "model" } })).status;
        break;
      case "revoke":
        actual = (await call("DELETE", adminPath(`/nodes/${id}/credential`), { token: ADMIN })).status;
        break;
      case "advance":
        vi.setSystemTime(model.now);
        break;
      case "alarm":
        await runDurableObjectAlarm(stub);
        break;
      case "force":
        actual = (await call("POST", adminPath("/expire"), { token: ADMIN })).status;
        break;
      case "massJoin": {
        const list = expected as Expected[];
        actual = [];
        for (const [i, node] of NODE_IDS.entries()) actual.push(await register(node, list[i], [ADDRS[i % ADDRS.length]], labelsOf(i % 3 === 0 ? "a" : null), cmd.ttl));
        break;
      }
      case "restart":
        // Reloaded from storage at the current (faked) time: every live lease gets its restart grace.
        await evictDurableObject(stub);
        break;
    }
    expect(nowBefore <= model.now).toBe(true);
    if (expected !== null) expect(actual, where).toEqual(Array.isArray(expected) ? expected.map((e) => e.status) : expected.status);
    const summary = await admin<ClusterDetail>("GET", adminPath(""));
    model.expireIfDue(); // the admin views expire what is due before answering
    expect({ version: summary.version, live: summary.nodes, degraded: summary.degraded }, where).toEqual({
      version: model.version,
      live: model.liveCount,
      degraded: model.degraded,
    });
    if (cmd.t !== "advance") await observe(name, model, secret, where, index);
  }
}

async function observe(name: string, model: ClusterModel, secret: (token: string | undefined) => string, where: string, index: number): Promise<void> {
  const seen = await runInDurableObject(env.CLUSTER.getByName(name), async (instance: ClusterDirectory) => {
    const out: Record<string, { full: string; limited: string }> = {};
    for (const id of NODE_IDS) {
      const full = await instance.handoutPreview(id, undefined);
      const limited = await instance.handoutPreview(id, LIMIT);
      if (!full.ok || !limited.ok) throw new Error("preview failed");
      out[id] = { full: full.value, limited: limited.value };
    }
    const nodes = await instance.nodesView();
    return { out, nodes: nodes.ok ? nodes.value.nodes.map((r) => `${r.id}/${r.source}/${r.state}`).sort() : null };
  });
  model.expireIfDue(); // the previews ran expiry first
  const pool = model.pool();
  const header = { version: model.version, ...(model.degraded ? { degraded: true } : {}) };
  const byId = (peers: Peer[]) => [...peers].sort((a, b) => (a.id < b.id ? -1 : 1));
  const actual: Record<string, unknown> = { nodesView: seen.nodes };
  const wanted: Record<string, unknown> = { nodesView: model.nodesView() };
  for (const id of NODE_IDS) {
    const full = JSON.parse(seen.out[id].full) as { peers: Peer[] };
    const limited = JSON.parse(seen.out[id].limited) as { peers: Peer[] };
    if (model.nodes.has(id)) {
      actual[id] = { full, limited: limited.peers };
      wanted[id] = { full: { ...header, peers: model.handout(id, null, pool) }, limited: model.handout(id, LIMIT, pool) };
    } else {
      // As in the unit model test: as a set, because of the cached-body bug reported there.
      actual[id] = { ...full, peers: byId(full.peers) };
      wanted[id] = { ...header, peers: byId(model.handout(id, null, pool)) };
    }
  }
  expect(actual, where).toEqual(wanted);
  // One live node asks for itself over HTTP (rotating through them): the same bytes as the preview.
  const live = NODE_IDS.filter((id) => model.isLive(id));
  if (live.length) {
    const id = live[index % live.length];
    const res = await call("GET", `/v1/clusters/${name}/nodes/${id}/peers`, { token: secret(model.credOf(id)) });
    expect(res.status, where).toBe(200);
    expect(await res.text(), `${where}: ${id}'s own peers request`).toBe(seen.out[id].full);
  }
}

describe("model-based: the Worker and Durable Object against the reference model", () => {
  it(`agrees with the model over ${RUNS} sequences, with the object evicted at random`, { timeout: 120_000 }, async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      await fc.assert(
        fc.asyncProperty(sequenceArb({ retentionJumpMs: RETENTION_MS + 1, restart: true, maxLength: 25 }), async (cmds) => {
          await replay(cmds);
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
    } finally {
      vi.useRealTimers();
    }
    expect(coverage["self-preservation engaged"] ?? 0, "sequences reached self-preservation").toBeGreaterThan(0);
    expect(coverage["lease expired"] ?? 0).toBeGreaterThan(0);
  });

  afterAll(() => {
    console.log(`model-based (workerd): ${sequences} sequences, ${steps} steps; coverage ${JSON.stringify(coverage)}`);
  });
});
