// Socket-held leases and the restart grace (docs/architecture.md#leases), on the core with a fake
// clock and the sockets' signals as the runtime would report them: pings that stop end a lease
// at the last ping + TTL; a socket that closes starts the TTL countdown from its last ping; after
// a restart every lease marked behind its stored expiry is kept its TTL from the restart, never
// less, and a dead one is gone then. Heartbeats write nothing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClusterCore, type CoreOptions } from "../../src/cluster/cluster-core.js";
import { MemoryStore } from "../support/memory-store.js";

const T0 = 1_900_000_000_000;
const JOIN = "join";
const OPTIONS: CoreOptions = { rateBurst: 1000, credentialRetentionMs: 3_600_000, random: () => 0.5 };

function cluster(ttls: number[]) {
  const store = new MemoryStore();
  const sockets = new Map<string, number>();
  const signals = { lastSeen: () => sockets };
  const core = new ClusterCore(store, store.snapshot(), OPTIONS, { signals });
  core.createCluster("c", T0, { id: "t1", hash: JOIN, createdAt: T0, expiresAt: null });
  core.updateSettings({ now: T0, actor: { kind: "admin", id: "admin" } }, { minIntervalSeconds: 0 });
  ttls.forEach((ttl, i) => {
    const r = core.register({
      node: `n${i}`,
      tokenHash: JOIN,
      addrs: ["/ip4/10.0.0.1/tcp/1"],
      ttlSeconds: ttl,
      observedIp: null,
      now: T0,
      fresh: { credential: `c${i}`, hash: `c${i}` },
    });
    expect(r.ok).toBe(true);
  });
  return { store, sockets, signals, core };
}

const live = (core: ClusterCore, id: string, now: number) => core.peers({ node: id, tokenHash: `c${id.slice(1)}`, now }).ok;
/** Gaps between pings, each shorter than the TTL (10 s): a node that pings this way stays live. */
const pings = fc.array(fc.integer({ min: 1, max: 9_999 }), { minLength: 1, maxLength: 30 });

describe("socket-held leases", () => {
  it("pings keep a lease; when they stop it ends at the last ping + TTL, with nothing written", () => {
    fc.assert(
      fc.property(pings, fc.integer({ min: 0, max: 9_999 }), (gaps, openAfter) => {
        const { store, sockets, core } = cluster([10, 3600]);
        const writes = JSON.stringify(store.snapshot().nodes);
        let now = T0 + openAfter;
        expect(core.startWatch({ node: "n0", tokenHash: "c0", now }).ok).toBe(true);
        sockets.set("n0", now);
        for (const gap of gaps) {
          now += gap;
          sockets.set("n0", now); // the runtime answers the ping and notes the time; no JavaScript runs
          core.expireDue(now); // whatever checks come due meanwhile
          expect(live(core, "n0", now)).toBe(true);
        }
        const lastPing = now;
        core.expireDue(lastPing + 10_000 - 1);
        expect(live(core, "n0", lastPing + 10_000 - 1)).toBe(true);
        core.expireDue(lastPing + 10_000);
        expect(live(core, "n0", lastPing + 10_000)).toBe(false);
        // Only the lease's end was written: no ping, no extension.
        const stored = store.snapshot().nodes.find((n) => n.id === "n0")!;
        expect(stored.endedAt).toBe(lastPing + 10_000);
        expect(JSON.stringify(store.snapshot().nodes.filter((n) => n.id !== "n0"))).toBe(JSON.stringify(JSON.parse(writes).filter((n: { id: string }) => n.id !== "n0")));
      }),
      { numRuns: 200 },
    );
  });

  it("a socket that closes starts the TTL countdown from its last ping, not from the close", () => {
    fc.assert(
      fc.property(pings, fc.integer({ min: 0, max: 9_999 }), (gaps, closeAfter) => {
        const { store, sockets, core } = cluster([10]);
        let now = T0;
        core.startWatch({ node: "n0", tokenHash: "c0", now });
        sockets.set("n0", now);
        for (const gap of gaps) {
          now += gap;
          sockets.set("n0", now);
          core.expireDue(now);
        }
        const lastPing = now;
        sockets.delete("n0");
        core.socketClosed("n0", lastPing);
        // No socket holds it now: storage gets its exact expiry, and the lease is no longer behind.
        const row = store.snapshot().nodes.find((n) => n.id === "n0")!;
        expect(row).toMatchObject({ expiresAt: Math.max(T0 + 10_000, lastPing + 10_000), behind: false });
        const closedAt = lastPing + closeAfter;
        core.expireDue(closedAt);
        expect(live(core, "n0", closedAt)).toBe(closedAt < lastPing + 10_000);
        core.expireDue(lastPing + 10_000);
        expect(live(core, "n0", lastPing + 10_000)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("after a restart a lease without a socket is kept its TTL from the restart: a live node renews in time, a dead one is gone then", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ node: fc.integer({ min: 0, max: 3 }), afterMs: fc.integer({ min: 0, max: 4_000 }) }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 8_000 }),
        fc.boolean(),
        (renewals, restartAfter, socket) => {
          const ttls = [10, 10, 20, 30];
          const { store, core, sockets, signals } = cluster(ttls);
          let now = T0;
          const last = ttls.map(() => T0);
          for (const r of renewals) {
            now += r.afterMs;
            const renewed = core.register({
              node: `n${r.node}`,
              tokenHash: `c${r.node}`,
              addrs: ["/ip4/10.0.0.1/tcp/1"],
              ttlSeconds: ttls[r.node],
              observedIp: null,
              now,
            });
            if (renewed.ok) last[r.node] = now;
          }
          // Plain renewals were never written: storage still has the registration's expiry.
          for (const n of store.snapshot().nodes) if (n.endedAt === null) expect(n.expiresAt).toBe(n.registeredAt + ttls[Number(n.id.slice(1))] * 1000);
          const restartAt = now + restartAfter;
          // n3 may hold a socket that survived (a hibernation): it runs from its last ping instead.
          if (socket) sockets.set("n3", now);
          const liveInStorage = new Set(
            store
              .snapshot()
              .nodes.filter((n) => n.endedAt === null)
              .map((n) => n.id),
          );
          const storedEnd = new Map(store.snapshot().nodes.map((n) => [n.id, n.expiresAt]));
          // Storage says which leases fell behind (a plain renewal moved them past what it holds).
          const behind = new Set(
            store
              .snapshot()
              .nodes.filter((n) => n.behind)
              .map((n) => n.id),
          );
          const restarted = new ClusterCore(store, store.snapshot(), OPTIONS, { loadedAt: restartAt, signals });
          const checks: { at: number; id: string; live: boolean }[] = [];
          ttls.forEach((ttl, i) => {
            const id = `n${i}`;
            if (!liveInStorage.has(id)) {
              expect(live(restarted, id, restartAt), `${id} ended before the restart`).toBe(false);
              return;
            }
            // What the node's lease was really worth before the restart, and what it is kept now.
            const trueEnd = last[i] + ttl * 1000;
            const grace = behind.has(id) ? Math.max(storedEnd.get(id)!, restartAt + ttl * 1000) : storedEnd.get(id)!;
            const end = socket && i === 3 ? Math.max(storedEnd.get(id)!, now + ttl * 1000) : grace;
            expect(end).toBeGreaterThanOrEqual(trueEnd); // never dropped before its real end
            expect(end).toBeLessThanOrEqual(Math.max(trueEnd, restartAt + ttl * 1000)); // nor kept past the grace
            if (end > restartAt) checks.push({ at: end - 1, id, live: true });
            checks.push({ at: Math.max(end, restartAt), id, live: false });
          });
          // In time order, as a clock runs.
          checks.sort((x, y) => x.at - y.at || Number(y.live) - Number(x.live));
          for (const check of checks) {
            restarted.expireDue(check.at);
            expect(live(restarted, check.id, check.at), `${check.id} at ${check.at - T0}`).toBe(check.live);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
