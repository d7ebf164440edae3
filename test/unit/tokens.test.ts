// Token ids are typed on command lines (`peerdir join-token revoke <cluster> <id>`): one that began
// with "-" was taken for an option (found by the CLI end-to-end test, 1 run in 64).
import { describe, expect, it } from "vitest";
import { JOIN_TOKEN_ID } from "../../src/contract/tokens.js";
import { newTokenId } from "../../src/worker/secrets.js";

describe("token ids", () => {
  it("never start with '-', and match the contract's id grammar", () => {
    // 5,000 ids: an id generator that allowed a leading "-" (1 in 64) would fail here for certain.
    const ids = Array.from({ length: 5_000 }, newTokenId);
    expect(ids.filter((id) => id.startsWith("-"))).toEqual([]);
    expect(ids.every((id) => JOIN_TOKEN_ID.test(id) && id.length === 12)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
