// Renewal checkpoints: plain renewals live in memory and are written in
// batches, so an object that stops between checkpoints loses some. The restart rule must never
// end a lease that was renewed, and must keep a lease no longer than its window's start + the
// checkpoint interval + its TTL. Random renewal schedules, a stop at a random moment, and the
// restarted core checked against the true expiry of every lease.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClusterCore, type CoreOptions, RENEWAL_CHECKPOINT_MS } from "../../src/cluster/cluster-core.js";
import { MemoryStore } from "../support/memory-store.js";

const T0 = 1_900_000_000_000;
const JOIN = "join-hash";
const NODES = ["a", "b", "c", "d", "e"];
const OPTIONS: CoreOptions = { rateBurst: 1000, credentialRetentionMs: 3_600_000, random: () => 0.5, renewalCheckpointMs: RENEWAL_CHECKPOINT_MS };

type Step = { t: "renew"; node: number; afterMs: number } | { t: "checkpoint"; afterMs: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant("renew" as const), node: fc.nat(NODES.length - 1), afterMs: fc.nat(4_000) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("checkpoint" as const), afterMs: fc.nat(8_000) }) },
);

function start(ttls: number[]) {
  const store = new MemoryStore();
  const core = new ClusterCore(store, store.snapshot(), OPTIONS);
  core.createCluster("c", T0, { id: "t1", hash: JOIN, createdAt: T0, expiresAt: null });
  core.updateSettings({ now: T0, actor: { kind: "admin", id: "admin" } }, { minTtlSeconds: 10 });
  NODES.forEach((node, i) => {
    const joined = core.register({
      node,
      tokenHash: JOIN,
      addrs: [`/ip4/10.0.0.${i + 1}/tcp/1`],
      ttlSeconds: ttls[i],
      observedIp: null,
      now: T0,
      fresh: { credential: node, hash: `cred-${node}` },
    });
    expect(joined.ok).toBe(true);
  });
  return { store, core };
}

const renew = (core: ClusterCore, i: number, ttlSeconds: number, now: number) =>
  core.register({ node: NODES[i], tokenHash: `cred-${NODES[i]}`, addrs: [`/ip4/10.0.0.${i + 1}/tcp/1`], ttlSeconds, observedIp: null, now });

/** Each node's expiry as the core holds it (the nodes view lists live leases only; null: ended). */
function leases(core: ClusterCore): Map<string, number | null> {
  const view = core.nodesView();
  if (!view.ok) throw new Error("nodes view failed");
  return new Map(
    NODES.map((node) => {
      const row = view.value.find((r) => r.id === node);
      return [node, row ? Date.parse(row.expiresAt!) : null];
    }),
  );
}

describe("renewal checkpoints", () => {
  it("a stop between checkpoints never ends a renewed lease, and keeps it at most window start + interval + TTL", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 10, max: 120 }), { minLength: NODES.length, maxLength: NODES.length }), fc.array(stepArb, { maxLength: 60 }), (ttls, steps) => {
        const { store, core } = start(ttls);
        const trueExpiry = ttls.map((ttl) => T0 + ttl * 1000);
        let now = T0;
        for (const step of steps) {
          now += step.afterMs;
          if (step.t === "checkpoint") core.checkpointRenewals();
          // Only leases that have not run out: a renewal after expiry starts a new lease, another story.
          else if (trueExpiry[step.node] > now) {
            const renewed = renew(core, step.node, ttls[step.node], now);
            expect(renewed.ok && !renewed.value.created).toBe(true);
            trueExpiry[step.node] = now + ttls[step.node] * 1000;
          }
        }
        const before = leases(core);
        const windowStart = store.renewalsUnsavedSince;
        // The object stops here, without a checkpoint; a new one loads what storage holds.
        const restarted = new ClusterCore(store, store.snapshot(), OPTIONS);
        const after = leases(restarted);
        NODES.forEach((node, i) => {
          const was = before.get(node)!;
          const is = after.get(node)!;
          if (was === null) {
            expect(is, node).toBe(null);
            return;
          }
          expect(was, node).toBe(trueExpiry[i]);
          expect(is, node).toBeGreaterThanOrEqual(trueExpiry[i]);
          const bound = windowStart === null ? trueExpiry[i] : Math.max(trueExpiry[i], windowStart + RENEWAL_CHECKPOINT_MS + ttls[i] * 1000);
          expect(is, node).toBeLessThanOrEqual(bound);
        });
        // A second stop before the restarted object checkpoints computes the same expiries.
        expect(leases(new ClusterCore(store, store.snapshot(), OPTIONS))).toEqual(after);
        // Its checkpoint writes them, and closes the window.
        restarted.checkpointRenewals();
        expect(store.renewalsUnsavedSince).toBe(null);
        expect(leases(new ClusterCore(store, store.snapshot(), OPTIONS))).toEqual(after);
      }),
      { numRuns: 300 },
    );
  });

  it("with no window open, a restart loads exactly what was renewed", () => {
    const { store, core } = start([60, 60, 60, 60, 60]);
    renew(core, 0, 60, T0 + 10_000);
    core.checkpointRenewals();
    const restarted = new ClusterCore(store, store.snapshot(), OPTIONS);
    expect(leases(restarted).get("a")).toBe(T0 + 70_000);
    expect(leases(restarted).get("b")).toBe(T0 + 60_000);
    expect(restarted.renewalCheckpointAt).toBe(null);
  });
});
