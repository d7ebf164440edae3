import { describe, expect, it } from "vitest";
import { handoutTier, orderByTier } from "../../src/contract/reachability.js";
import { ReachabilityBook, type ReachReport } from "../../src/cluster/reachability.js";

const all = () => true;
const fail = (target: string, at: number): ReachReport => ({ target, result: "failed", at });
const okay = (target: string, at: number): ReachReport => ({ target, result: "ok", at });
const MIN = 60_000;

describe("ReachabilityBook", () => {
  it("calls a target unreachable once two distinct reporters failed and none succeeded since", () => {
    const book = new ReachabilityBook();
    expect(book.ingest("a", [fail("x", 0)], 0, all, 5)).toEqual([]);
    expect(book.state("x")).toBe("unknown");
    expect(book.ingest("b", [fail("x", 1_000)], 1_000, all, 5)).toEqual(["x"]);
    expect(book.state("x")).toBe("unreachable");
    expect(book.view("x")).toEqual({ state: "unreachable", failedReporters: 2, okReporters: 0, checkedAt: 1_000 });
  });

  it("lets one reporter count only once per target: a single liar cannot demote", () => {
    const book = new ReachabilityBook();
    book.ingest("a", [okay("x", 0)], 0, all, 5);
    expect(book.state("x")).toBe("reachable");
    for (let t = 1; t <= 50; t++) book.ingest("liar", [fail("x", t * 1_000), fail("x", t * 1_000)], t * 1_000, all, 5);
    expect(book.state("x")).toBe("reachable");
    expect(book.view("x")).toMatchObject({ failedReporters: 1, okReporters: 1 });
    // And a liar alone against a target with no evidence leaves it unknown, not unreachable.
    book.ingest("liar", [fail("y", 50_000)], 50_000, all, 5);
    expect(book.state("y")).toBe("unknown");
  });

  it("ignores self-reports, peers outside the reporter's handout, unknown results and stale reports", () => {
    const book = new ReachabilityBook();
    const handoutOfA = (t: string) => t !== "hidden";
    book.ingest("a", [fail("a", 0), fail("hidden", 0), { target: "x", result: "unknown", at: 0 }, fail("old", -4 * MIN)], 0, handoutOfA, 5);
    book.ingest("b", [fail("a", 0), fail("hidden", 0), fail("old", -4 * MIN)], 0, all, 5);
    expect(book.state("a")).toBe("unknown");
    expect(book.state("hidden")).toBe("unknown");
    expect(book.state("old")).toBe("unknown");
    expect(book.view("x").checkedAt).toBeNull();
  });

  it("clears failures with a success, and ignores failures older than it", () => {
    const book = new ReachabilityBook();
    book.ingest("a", [fail("x", 0)], 0, all, 5);
    book.ingest("b", [fail("x", 1_000)], 1_000, all, 5);
    expect(book.state("x")).toBe("unreachable");
    expect(book.ingest("c", [okay("x", 2_000)], 2_000, all, 5)).toEqual(["x"]);
    expect(book.state("x")).toBe("reachable");
    // A failure made before that success (reported late) does not count.
    book.ingest("d", [fail("x", 1_500)], 3_000, all, 5);
    expect(book.view("x")).toMatchObject({ state: "reachable", failedReporters: 0, okReporters: 1 });
    // Failures after it do, once there are two.
    book.ingest("a", [fail("x", 4_000)], 4_000, all, 5);
    book.ingest("b", [fail("x", 5_000)], 5_000, all, 5);
    expect(book.state("x")).toBe("unreachable");
  });

  it("needs only one reporter in a cluster of two", () => {
    const book = new ReachabilityBook();
    expect(book.ingest("a", [fail("b", 0)], 0, all, 2)).toEqual(["b"]);
    expect(book.state("b")).toBe("unreachable");
  });

  it("lets evidence age out of the window", () => {
    const book = new ReachabilityBook({ windowMs: 3 * MIN });
    book.ingest("a", [fail("x", 0)], 0, all, 5);
    book.ingest("b", [fail("x", 0)], 0, all, 5);
    expect(book.sweep(2 * MIN, 5)).toEqual([]);
    expect(book.sweep(3 * MIN + 1, 5)).toEqual(["x"]);
    expect(book.state("x")).toBe("unknown");
    expect(book.size).toBe(0);
  });

  it("keeps a live reporter's latest result past the window: it reports changes only", () => {
    const book = new ReachabilityBook({ windowMs: 3 * MIN });
    const live = new Set(["a", "b"]);
    const isLive = (id: string) => live.has(id);
    book.ingest("a", [fail("x", 0)], 0, all, 5, isLive);
    book.ingest("b", [fail("x", 0)], 0, all, 5, isLive);
    expect(book.sweep(30 * MIN, 5, isLive)).toEqual([]);
    expect(book.state("x")).toBe("unreachable");
    // b left: its failure ages out, and one failed reporter is not enough.
    live.delete("b");
    expect(book.sweep(31 * MIN, 5, isLive)).toEqual(["x"]);
    expect(book.view("x")).toMatchObject({ state: "unknown", failedReporters: 1 });
    // A live reporter's result counts however old its probe: it is still that reporter's latest.
    book.ingest("c", [okay("y", 0)], 40 * MIN, all, 5, (id) => id === "c");
    expect(book.state("y")).toBe("reachable");
  });

  it("forgets a target on clear (changed addresses)", () => {
    const book = new ReachabilityBook();
    book.ingest("a", [okay("x", 0)], 0, all, 5);
    expect(book.clear("x")).toBe(true);
    expect(book.state("x")).toBe("unknown");
    expect(book.clear("x")).toBe(false);
  });

  it("keeps memory bounded per target", () => {
    const book = new ReachabilityBook({ maxReporters: 8 });
    for (let i = 0; i < 1_000; i++) book.ingest(`r${i}`, [fail("x", i)], i, all, 2_000);
    expect(book.view("x")).toMatchObject({ state: "unreachable", failedReporters: 8 });
    for (let i = 0; i < 1_000; i++) book.ingest(`r${i}`, [okay("y", i)], i, all, 2_000);
    expect(book.view("y")).toMatchObject({ state: "reachable", okReporters: 8 });
    expect(book.counts()).toEqual({ reachable: 1, unknown: 0, unreachable: 1 });
  });

  it("clamps reports from the future to now", () => {
    const book = new ReachabilityBook();
    book.ingest("a", [okay("x", 10 * MIN)], 0, all, 5);
    expect(book.view("x").checkedAt).toBe(0);
  });
});

describe("handout order", () => {
  const peers = [
    { id: "p1", ready: false },
    { id: "p2", reachability: "unreachable" as const },
    { id: "p3" },
    { id: "p4", reachability: "reachable" as const },
    { id: "p5", reachability: "reachable" as const, ready: false },
    { id: "p6", reachability: "reachable" as const },
    { id: "p7" },
  ];

  it("puts ready and reachable first, then unknown, then unreachable, not-ready last, stable within each, removing nothing", () => {
    expect(orderByTier(peers, handoutTier).map((p) => p.id)).toEqual(["p4", "p6", "p3", "p7", "p2", "p1", "p5"]);
  });

  it("returns the same array when there is nothing to reorder", () => {
    const plain: { id: string; ready?: boolean }[] = [{ id: "a" }, { id: "b" }];
    expect(orderByTier(plain, handoutTier)).toBe(plain);
  });
});
