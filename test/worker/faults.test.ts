// Faults: the Durable Object evicted while requests are in flight; the alarm
// handler failing (retried by the runtime, then re-armed by the class after retryCount ≥ 5)
// without losing an expiry; maxNodes reached; the directory away for longer than the TTL
// (self-preservation engages, then recovers); clock jumps (backdated and forward-dated rows).
// Eviction between steps of whole sequences is in test/worker/model.test.ts; agent SIGKILL and
// restart in test/e2e/agent.test.ts.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ClusterDetail } from "../../src/contract/admin.js";
import type { ClusterDirectory } from "../../src/worker/index.js";
import { addr, admin, call, createCluster, expectProblem, join, peersOf, type Registered, storedState } from "./helpers.js";

const stubOf = (cluster: string) => env.CLUSTER.getByName(cluster);
const T0 = Date.UTC(2041, 0, 1);

afterEach(() => {
  vi.useRealTimers();
});

async function fillCluster(name: string, size: number, ttlSeconds = 60): Promise<{ joinToken: string; nodes: Registered[] }> {
  const joinToken = await createCluster(name);
  await admin("PATCH", `/v1/admin/clusters/${name}`, { minIntervalSeconds: 0 });
  const nodes: Registered[] = [];
  for (let i = 0; i < size; i++) nodes.push(await join(name, joinToken, `n${i}`, { addrs: [addr(i)], ttlSeconds }));
  return { joinToken, nodes };
}

const renew = (name: string, n: Registered, i: number, ttlSeconds = 60) =>
  call("PUT", `/v1/clusters/${name}/nodes/${n.node}`, { token: n.credential, body: { addrs: [addr(i)], ttlSeconds } });

describe("eviction while requests are in flight", () => {
  it("each registration either happened (201, stored) or did not (no row), and the object agrees after reload", async () => {
    const joinToken = await createCluster("fl-evict");
    await admin("PATCH", "/v1/admin/clusters/fl-evict", { minIntervalSeconds: 0 });
    const ids = Array.from({ length: 20 }, (_, i) => `e${i}`);
    const requests = ids.map((id, i) =>
      call("PUT", `/v1/clusters/fl-evict/nodes/${id}`, { token: joinToken, body: { addrs: [addr(i)] } }).then(async (r) => ({ id, status: r.status, body: await r.text() })),
    );
    const evicted = evictDurableObject(stubOf("fl-evict"));
    const results = await Promise.all(requests);
    await evicted;
    for (const r of results) expect([201, 500, 503], `${r.id}: ${r.body}`).toContain(r.status);
    const stored = await storedState("fl-evict");
    const storedIds = new Set(stored.nodes.map((n) => (n as { id: string }).id));
    for (const r of results) if (r.status === 201) expect(storedIds.has(r.id), `${r.id} was acknowledged but not stored`).toBe(true);
    // Whatever was stored is live and consistent after another reload: the count matches the rows.
    await evictDurableObject(stubOf("fl-evict"));
    const detail = await admin<ClusterDetail>("GET", "/v1/admin/clusters/fl-evict");
    expect(detail.nodes).toBe(storedIds.size);
    // A registration that failed can simply be retried with the join token.
    for (const r of results.filter((x) => x.status !== 201)) {
      expect((await call("PUT", `/v1/clusters/fl-evict/nodes/${r.id}`, { token: joinToken, body: { addrs: [addr(1)] } })).status).toBe(storedIds.has(r.id) ? 409 : 201);
    }
  });

  it("a long-poll held across an eviction ends cleanly and the node can ask again", async () => {
    const { nodes } = await fillCluster("fl-poll", 2);
    const first = await peersOf("fl-poll", "n0", nodes[0].credential);
    const held = call("GET", "/v1/clusters/fl-poll/nodes/n0/peers?wait=2", { token: nodes[0].credential, headers: { "If-None-Match": first.etag! } });
    await evictDurableObject(stubOf("fl-poll"));
    const res = await held;
    expect(res.status).not.toBe(200); // nothing changed: 304 after the wait, or the eviction cut it short
    if (res.status >= 400) await expectProblem(res, res.status);
    expect((await peersOf("fl-poll", "n0", nodes[0].credential)).version).toBe(first.version);
  });
});

describe("the alarm handler failing", () => {
  /** Makes the next write to `nodes` fail, by renaming the table away (restored by `repair`). */
  const breakNodes = (name: string) => runInDurableObject(stubOf(name), (_i, s) => void s.storage.sql.exec("ALTER TABLE nodes RENAME TO nodes_broken"));
  const repair = (name: string) => runInDurableObject(stubOf(name), (_i, s) => void s.storage.sql.exec("ALTER TABLE nodes_broken RENAME TO nodes"));

  // A failed run must not leave a half-applied change in memory: each core operation runs in one
  // SQLite transaction, and on failure the object rebuilds its state from storage, so the retry
  // still sees everything that was due (regression: it used to lose n1's expiry).
  it("throws while retries remain, and a retry after the fault clears still expires what was due", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T0);
    const { nodes } = await fillCluster("fl-alarm1", 3);
    await renew("fl-alarm1", nodes[0], 0, 600);
    const before = await peersOf("fl-alarm1", "n0", nodes[0].credential);
    vi.setSystemTime(T0 + 61_000); // n1 and n2 are due
    await breakNodes("fl-alarm1");
    const failed = await runInDurableObject(stubOf("fl-alarm1"), async (instance: ClusterDirectory) => {
      try {
        await instance.alarm({ retryCount: 0, isRetry: false, scheduledTime: Date.now() });
        return null;
      } catch (err) {
        return String(err);
      }
    });
    expect(failed, "the alarm must fail while its write fails, so the runtime retries it").not.toBeNull();
    await repair("fl-alarm1");
    await runInDurableObject(stubOf("fl-alarm1"), (instance: ClusterDirectory) => instance.alarm({ retryCount: 1, isRetry: true, scheduledTime: Date.now() }));
    // No expiry lost: both leases ended in storage, gone from the handout, and the version moved
    // (so a client holding the old ETag is told).
    const ended = await runInDurableObject(stubOf("fl-alarm1"), (_i, s) =>
      s.storage.sql
        .exec<{ id: string }>("SELECT id FROM nodes WHERE ended_at IS NOT NULL ORDER BY id")
        .toArray()
        .map((r) => r.id),
    );
    expect(ended).toEqual(["n1", "n2"]);
    const res = await call("GET", "/v1/clusters/fl-alarm1/nodes/n0/peers", { token: nodes[0].credential, headers: { "If-None-Match": before.etag! } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { peers: unknown[] }).peers).toEqual([]);
    await evictDurableObject(stubOf("fl-alarm1"));
    expect((await peersOf("fl-alarm1", "n0", nodes[0].credential)).peers).toEqual([]);
  });

  it("after retryCount ≥ 5 it stops throwing and re-arms 30 s later; the re-armed run (after a restart) expires what was due", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T0);
    const { nodes } = await fillCluster("fl-alarm5", 3);
    await renew("fl-alarm5", nodes[0], 0, 600);
    vi.setSystemTime(T0 + 61_000);
    await breakNodes("fl-alarm5");
    // The class logs the failure it swallows; caught here, so the run stays quiet and the log is checked.
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const alarm = await runInDurableObject(stubOf("fl-alarm5"), async (instance: ClusterDirectory, s) => {
      await instance.alarm({ retryCount: 5, isRetry: true, scheduledTime: Date.now() }); // must not throw: the runtime would give up
      return s.storage.getAlarm();
    });
    const calls = [...logged.mock.calls];
    logged.mockRestore();
    expect(alarm).toBe(T0 + 61_000 + 30_000);
    expect(calls).toEqual([[expect.stringMatching(/^ClusterDirectory alarm failed 5 times; re-arming in 30000 ms:/), expect.any(Error)]]);
    await repair("fl-alarm5");
    // The object may restart meanwhile (it rebuilds from SQLite; the alarm is in storage).
    await evictDurableObject(stubOf("fl-alarm5"));
    vi.setSystemTime(T0 + 91_000);
    expect(await runDurableObjectAlarm(stubOf("fl-alarm5"))).toBe(true);
    const ended = await runInDurableObject(stubOf("fl-alarm5"), (_i, s) =>
      s.storage.sql
        .exec<{ id: string }>("SELECT id FROM nodes WHERE ended_at IS NOT NULL ORDER BY id")
        .toArray()
        .map((r) => r.id),
    );
    expect(ended).toEqual(["n1", "n2"]);
    expect((await peersOf("fl-alarm5", "n0", nodes[0].credential)).peers).toEqual([]);
  });
});

describe("maxNodes reached", () => {
  it("refuses the next lease with 409 cluster-full and changes nothing; a departure frees a slot", async () => {
    const joinToken = await createCluster("fl-full");
    await admin("PATCH", "/v1/admin/clusters/fl-full", { maxNodes: 3, minIntervalSeconds: 0 });
    const nodes = [];
    for (let i = 0; i < 3; i++) nodes.push(await join("fl-full", joinToken, `n${i}`, { addrs: [addr(i)] }));
    const before = await storedState("fl-full");
    const full = await expectProblem(await call("PUT", "/v1/clusters/fl-full/nodes/n3", { token: joinToken, body: { addrs: [addr(3)] } }), 409);
    expect(full.type).toBe("urn:peerdir:problem:cluster-full");
    expect(await storedState("fl-full")).toEqual(before);
    // Renewals of the members still work while full.
    expect((await renew("fl-full", nodes[0], 0)).status).toBe(200);
    // A node that left cannot come back with its credential while the cluster is full again.
    expect((await call("DELETE", "/v1/clusters/fl-full/nodes/n2", { token: nodes[2].credential })).status).toBe(204);
    await join("fl-full", joinToken, "n3", { addrs: [addr(3)] });
    await expectProblem(await renew("fl-full", nodes[2], 2), 409);
    // Lowering maxNodes below the live count evicts nobody; it only refuses new leases.
    await admin("PATCH", "/v1/admin/clusters/fl-full", { maxNodes: 1 });
    expect((await admin<ClusterDetail>("GET", "/v1/admin/clusters/fl-full")).nodes).toBe(3);
    expect((await peersOf("fl-full", "n0", nodes[0].credential)).peers.map((p) => p.id)).toEqual(["n1", "n3"]);
  });
});

describe("the directory away for longer than the TTL", () => {
  it("engages self-preservation instead of expiring everyone, then recovers as renewals return", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T0);
    const { nodes } = await fillCluster("fl-away", 12, 60);
    // The directory (or the network in front of it) is away for 5 minutes: no renewals arrive.
    vi.setSystemTime(T0 + 5 * 60_000);
    await runDurableObjectAlarm(stubOf("fl-away"));
    const degraded = (await call("GET", "/v1/clusters/fl-away/nodes/n0/peers", { token: nodes[0].credential }).then((r) => r.json())) as { degraded?: boolean; peers: unknown[] };
    expect(degraded).toMatchObject({ degraded: true });
    expect(degraded.peers).toHaveLength(11);
    expect((await admin<ClusterDetail>("GET", "/v1/admin/clusters/fl-away")).degraded).toBe(true);
    // An eviction while degraded keeps the flag and the leases.
    await evictDurableObject(stubOf("fl-away"));
    expect((await admin<ClusterDetail>("GET", "/v1/admin/clusters/fl-away")).degraded).toBe(true);
    // The directory is back: 10 of 12 agents renew (their leases are reinstated, not recreated).
    for (let i = 0; i < 10; i++) expect((await renew("fl-away", nodes[i], i)).status).toBe(200);
    vi.setSystemTime(T0 + 5 * 60_000 + 10_000); // the degraded re-check
    await runDurableObjectAlarm(stubOf("fl-away"));
    const recovered = await peersOf("fl-away", "n0", nodes[0].credential);
    expect((recovered as { degraded?: boolean }).degraded).toBeUndefined();
    expect(recovered.peers.map((p) => p.id).sort()).toEqual(["n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9"]);
    expect((await admin<ClusterDetail>("GET", "/v1/admin/clusters/fl-away")).degraded).toBe(false);
    // The two that never came back may register again with their credentials.
    expect((await renew("fl-away", nodes[10], 10)).status).toBe(201);
  });
});

describe("clock jumps", () => {
  it("a backdated row (expiry decades ago) is never handed out and is expired on the next request", async () => {
    const { nodes } = await fillCluster("fl-back", 3, 600);
    await runInDurableObject(stubOf("fl-back"), (_i, s) => void s.storage.sql.exec("UPDATE nodes SET expires_at = 0 WHERE id = 'n2'"));
    await evictDurableObject(stubOf("fl-back"));
    expect((await peersOf("fl-back", "n0", nodes[0].credential)).peers.map((p) => p.id)).toEqual(["n1"]);
    const row = await runInDurableObject(stubOf("fl-back"), (_i, s) => s.storage.sql.exec<{ ended_at: number | null }>("SELECT ended_at FROM nodes WHERE id = 'n2'").one());
    expect(row.ended_at).not.toBeNull();
    // Its credential still restarts a lease, at a sane expiry.
    const back = await renew("fl-back", nodes[2], 2);
    expect(back.status).toBe(201);
    const expiresAt = Date.parse(((await back.json()) as { expiresAt: string }).expiresAt);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(60_000 + 1000);
  });

  it("a forward-dated row (expiry years ahead) is healed by the node's next renewal, and evict still works", async () => {
    const { nodes } = await fillCluster("fl-fwd", 3, 60);
    await runInDurableObject(stubOf("fl-fwd"), (_i, s) => void s.storage.sql.exec("UPDATE nodes SET expires_at = ? WHERE id IN ('n1', 'n2')", Date.UTC(2099, 0, 1)));
    await evictDurableObject(stubOf("fl-fwd"));
    expect((await peersOf("fl-fwd", "n0", nodes[0].credential)).peers.map((p) => p.id)).toEqual(["n1", "n2"]);
    const healed = await renew("fl-fwd", nodes[1], 1, 60);
    expect(healed.status).toBe(200);
    expect(Date.parse(((await healed.json()) as { expiresAt: string }).expiresAt) - Date.now()).toBeLessThanOrEqual(61_000);
    await admin("POST", "/v1/admin/clusters/fl-fwd/nodes/n2/evict", { reason: "clock skew" });
    expect((await peersOf("fl-fwd", "n0", nodes[0].credential)).peers.map((p) => p.id)).toEqual(["n1"]);
  });

  it("the clock jumping forward past every TTL at once engages self-preservation rather than emptying the cluster", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T0);
    const { nodes } = await fillCluster("fl-jump", 10, 60);
    vi.setSystemTime(T0 + 24 * 3600_000);
    const res = (await call("GET", "/v1/clusters/fl-jump/nodes/n0/peers", { token: nodes[0].credential }).then((r) => r.json())) as { degraded?: boolean; peers: unknown[] };
    expect(res.degraded).toBe(true);
    expect(res.peers).toHaveLength(9);
    // The clock jumping back again: renewals succeed and the next check recovers.
    vi.setSystemTime(T0 + 24 * 3600_000 + 1000);
    for (let i = 0; i < 10; i++) expect((await renew("fl-jump", nodes[i], i)).status).toBe(200);
    vi.setSystemTime(T0 + 24 * 3600_000 + 11_000);
    await runDurableObjectAlarm(stubOf("fl-jump"));
    expect((await admin<ClusterDetail>("GET", "/v1/admin/clusters/fl-jump")).degraded).toBe(false);
    expect((await peersOf("fl-jump", "n0", nodes[0].credential)).peers).toHaveLength(9);
  });
});
