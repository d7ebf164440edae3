// Rendezvous hashing as a plain module: stability, minimal disruption, spread.
import { describe, expect, it } from "vitest";
import { pairWeight, rendezvousPick } from "../../src/cluster/rendezvous.js";

const ids = Array.from({ length: 200 }, (_, i) => `node-${i}`);
const pick = (requester: string, candidates: string[], k: number) => rendezvousPick(requester, candidates, k, (s) => s);

describe("rendezvous", () => {
  it("weighs a pair deterministically and order-sensitively", () => {
    expect(pairWeight("a", "b")).toBe(pairWeight("a", "b"));
    expect(pairWeight("a", "b")).not.toBe(pairWeight("b", "a"));
    expect(pairWeight("ab", "c")).not.toBe(pairWeight("a", "bc"));
    expect(Number.isSafeInteger(pairWeight("x", "y"))).toBe(true);
  });

  it("picks the k highest weights, in input order", () => {
    const chosen = pick("req", ids, 5);
    const expected = [...ids].sort((a, b) => pairWeight("req", b) - pairWeight("req", a)).slice(0, 5);
    expect(new Set(chosen)).toEqual(new Set(expected));
    expect(chosen).toEqual(ids.filter((id) => expected.includes(id)));
  });

  it("returns everything when k covers the candidates", () => {
    expect(pick("req", ids.slice(0, 3), 5)).toEqual(ids.slice(0, 3));
  });

  it("replaces only the departed slot", () => {
    for (const requester of ["r1", "r2", "r3", "r4"]) {
      const before = pick(requester, ids, 8);
      const gone = before[3];
      const after = pick(
        requester,
        ids.filter((id) => id !== gone),
        8,
      );
      expect(after.filter((id) => before.includes(id))).toEqual(before.filter((id) => id !== gone));
      expect(after).toHaveLength(8);
    }
  });

  it("does not change when a joiner is not among the top k", () => {
    const before = pick("r", ids, 3);
    const joiners = Array.from({ length: 50 }, (_, i) => `joiner-${i}`).filter(
      (j) =>
        pairWeight("r", j) <
        pairWeight(
          "r",
          before.reduce((m, id) => (pairWeight("r", id) < pairWeight("r", m) ? id : m)),
        ),
    );
    expect(pick("r", [...ids, ...joiners], 3)).toEqual(before);
  });

  it("spreads load: across 200 requesters picking 3, every node is chosen a similar number of times", () => {
    const counts = new Map<string, number>();
    for (const requester of ids)
      for (const id of pick(
        requester,
        ids.filter((x) => x !== requester),
        3,
      ))
        counts.set(id, (counts.get(id) ?? 0) + 1);
    const max = Math.max(...counts.values());
    expect(counts.size).toBeGreaterThan(150);
    expect(max).toBeLessThanOrEqual(12); // the mean is 3
  });
});
