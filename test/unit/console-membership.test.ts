// The console's membership chart: live nodes over time, rebuilt from the audit log backwards.
import { describe, expect, it } from "vitest";
import { membershipSeries } from "../../src/console/membership.js";

const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString();

describe("membershipSeries", () => {
  it("walks back from the count now: joins add one, leaves, expiries and evictions take one", () => {
    // Newest first, as the audit API pages them.
    const entries = [
      { at: at(40), action: "node.expire" },
      { at: at(30), action: "override.set" },
      { at: at(20), action: "node.join" },
      { at: at(10), action: "node.join" },
      { at: at(5), action: "node.leave" },
      { at: at(1), action: "node.join" },
    ];
    const points = membershipSeries(entries, 1, Date.parse(at(50)));
    expect(points.map((p) => [new Date(p.t).getUTCSeconds(), p.live])).toEqual([
      [1, 0],
      [1, 1],
      [5, 1],
      [5, 0],
      [10, 0],
      [10, 1],
      [20, 1],
      [20, 2],
      [40, 2],
      [40, 1],
      [50, 1],
    ]);
  });

  it("never goes below zero when the log was pruned past a join", () => {
    const points = membershipSeries(
      [
        { at: at(1), action: "node.join" },
        { at: at(0), action: "node.join" },
      ],
      1,
      Date.parse(at(2)),
    );
    expect(Math.min(...points.map((p) => p.live))).toBe(0);
  });
});
