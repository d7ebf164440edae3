// The problem kinds clients branch on: each has a stable type URI, the agent's reading of a type
// gives the kind back, and docs/api.md lists every kind with its status.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { kindOfStatus, PROBLEM_KINDS, problem, problemKind } from "../../src/contract/problem.js";

describe("problem types", () => {
  it("round-trip through their type URI, and unknown types read as none", () => {
    for (const { kind, type } of PROBLEM_KINDS) {
      expect(problem(kind, "x").type).toBe(type);
      expect(problemKind(type)).toBe(kind);
    }
    expect(problemKind("urn:peerdir:problem:toString")).toBeNull();
    expect(problemKind("about:blank")).toBeNull();
    expect(problemKind(undefined)).toBeNull();
  });

  it("a block names its reason as a member, not only in prose", () => {
    expect(problem("blocked", "node is blocked", { reason: "maintenance" })).toMatchObject({ status: 403, reason: "maintenance" });
  });

  it("a bare status reads as its generic kind", () => {
    expect([401, 403, 404, 409, 429, 503, 502, 200].map(kindOfStatus)).toEqual(["unauthorized", "forbidden", "not-found", "conflict", "rate-limited", "unavailable", null, null]);
  });

  it("are all listed in docs/api.md with their status", () => {
    const doc = readFileSync(new URL("../../docs/api.md", import.meta.url), "utf8");
    for (const { kind, status } of PROBLEM_KINDS) expect(doc).toContain(`| \`${kind}\` | ${status} |`);
  });
});
