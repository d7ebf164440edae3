// Named admin tokens: the format round-trips any legal claims within the size the Worker
// accepts, only a token minted under TOKEN_KEY verifies, and an edited claim breaks the MAC.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AdminClaims, MAX_SCOPE_CLUSTERS, parseAdminToken, parseToken, scopeCovers } from "../../src/contract/tokens.js";
import { mintAdminToken, verifyToken } from "../../src/worker/token-mac.js";

const KEY = "k".repeat(43);
const name = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/);
const id = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_-]{11}$/);
const clusters = fc.oneof(fc.constant("*" as const), fc.uniqueArray(name, { minLength: 1, maxLength: MAX_SCOPE_CLUSTERS }));
const expiresAt = fc.oneof(
  fc.constant(null),
  fc.integer({ min: 1, max: 99_999_999_999 }).map((s) => s * 1000),
);

describe("admin token format", () => {
  it("round-trips every legal name, id, role, scope and expiry, under 2 KiB, and verifies", async () => {
    await fc.assert(
      fc.asyncProperty(name, id, fc.constantFrom("read" as const, "write" as const), clusters, expiresAt, async (n, i, role, scope, exp) => {
        const claims: AdminClaims = { name: n, id: i, role, clusters: scope, expiresAt: exp };
        const token = await mintAdminToken(claims, { TOKEN_KEY: KEY });
        expect(token.length).toBeLessThanOrEqual(2048);
        expect(token).toMatch(/^[A-Za-z0-9._~-]+$/);
        const parsed = parseAdminToken(token);
        expect(parsed).toMatchObject(claims);
        expect(parseToken(token)).toBeNull();
        expect(await verifyToken(parsed!, { TOKEN_KEY: KEY })).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("an edited claim or another key fails the MAC; malformed tokens do not parse", async () => {
    const token = await mintAdminToken({ name: "ci", id: "AbCdEfGhIjKl", role: "read", clusters: ["prod"], expiresAt: null }, { TOKEN_KEY: KEY });
    for (const edited of [token.replace(".read.", ".write."), token.replace(".prod.", "._."), token.replace(".0.", ".9999999999."), token.replace("pda_ci.", "pda_cj.")]) {
      const parsed = parseAdminToken(edited);
      expect(parsed, edited).not.toBeNull();
      expect(await verifyToken(parsed!, { TOKEN_KEY: KEY })).toBe(false);
    }
    expect(await verifyToken(parseAdminToken(token)!, { TOKEN_KEY: "o".repeat(43) })).toBe(false);
    for (const bad of [
      "pda_",
      "pda_ci.AbCdEfGhIjKl.admin.0._.x.y",
      token.replace(".prod.", ".Prod."),
      token.replace(".prod.", ".prod~."),
      `${token}.x`,
      token.replace(".0.", ".01."),
    ]) {
      expect(parseAdminToken(bad), bad).toBeNull();
    }
  });

  it("a scope covers its clusters, * every cluster", () => {
    expect(scopeCovers("*", "any")).toBe(true);
    expect(scopeCovers(["a", "b"], "b")).toBe(true);
    expect(scopeCovers(["a", "b"], "c")).toBe(false);
  });
});
