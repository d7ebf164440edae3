// Self-authenticating tokens: the format round-trips any legal claims, and only a token minted
// under TOKEN_KEY (or TOKEN_KEY_PREVIOUS, while set) verifies.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseToken, type TokenClaims } from "../../src/contract/tokens.js";
import { mintToken, TokenKeyError, verifyToken } from "../../src/worker/token-mac.js";

const KEY = "k".repeat(43);
const OTHER = "o".repeat(43);
const claims: TokenClaims = { kind: "node", cluster: "demo", subject: "node-a.example.com" };

async function verifies(token: string, keys: { TOKEN_KEY?: string; TOKEN_KEY_PREVIOUS?: string }): Promise<boolean> {
  const parsed = parseToken(token);
  if (!parsed) throw new Error(`unparsable: ${token}`);
  return verifyToken(parsed, keys);
}

describe("token format", () => {
  const cluster = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/);
  const node = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
  const joinId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);

  it("round-trips every legal cluster, node id and join token id", async () => {
    await fc.assert(
      fc.asyncProperty(
        cluster,
        fc.oneof(
          node.map((s) => ["node", s] as const),
          joinId.map((s) => ["join", s] as const),
        ),
        async (c, [kind, subject]) => {
          const token = await mintToken({ kind, cluster: c, subject }, { TOKEN_KEY: KEY });
          expect(token.startsWith(kind === "join" ? "pdj_" : "pdn_")).toBe(true);
          expect(token.length).toBeLessThanOrEqual(512); // what the Worker accepts in Authorization
          const parsed = parseToken(token);
          expect(parsed).toMatchObject({ kind, cluster: c, subject });
          expect(await verifyToken(parsed!, { TOKEN_KEY: KEY })).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("mints a different secret every time", async () => {
    const a = await mintToken(claims, { TOKEN_KEY: KEY });
    const b = await mintToken(claims, { TOKEN_KEY: KEY });
    expect(a).not.toBe(b);
    expect(a.split(".").at(-2)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("refuses what is not shaped like a token", () => {
    const mac = "A".repeat(43);
    for (const bad of [
      "",
      "pdn_",
      "not-a-token",
      "pdn_demo.node.secret",
      `pdx_demo.node.${mac}.${mac}`,
      `pdn_Demo.node.${mac}.${mac}`,
      `pdn_demo..${mac}.${mac}`,
      `pdn_demo.-node.${mac}.${mac}`,
      `pdj_demo.id.with.dots.${mac}.${mac}`,
      `pdn_demo.node.${mac}A.${mac}`,
      `pdn_demo.node.${mac}.${mac}.`,
      `pdn_demo.node.${mac}`,
      `pdn_${"a".repeat(64)}.node.${mac}.${mac}`,
    ]) {
      expect(parseToken(bad), bad).toBeNull();
    }
  });
});

describe("token MAC", () => {
  it("refuses a token whose cluster, subject, kind, secret or MAC was changed", async () => {
    const token = await mintToken(claims, { TOKEN_KEY: KEY });
    const [head, ...rest] = token.split(".");
    const mac = token.slice(token.lastIndexOf(".") + 1);
    const flipped = (mac[0] === "A" ? "B" : "A") + mac.slice(1);
    const secret = rest.at(-2)!;
    const forged = [
      token.replace("pdn_demo.", "pdn_other."),
      token.replace("pdn_", "pdj_").replace(".node-a.example.com.", ".node-a."),
      token.replace(".node-a.example.com.", ".node-b."),
      token.replace(`.${secret}.`, `.${(secret[0] === "A" ? "B" : "A") + secret.slice(1)}.`),
      token.slice(0, token.lastIndexOf(".") + 1) + flipped,
    ];
    expect(head).toBe("pdn_demo");
    for (const f of forged) expect(await verifies(f, { TOKEN_KEY: KEY }), f).toBe(false);
  });

  it("refuses a token minted under another key", async () => {
    const token = await mintToken(claims, { TOKEN_KEY: OTHER });
    expect(await verifies(token, { TOKEN_KEY: KEY })).toBe(false);
  });

  it("accepts the previous key only while TOKEN_KEY_PREVIOUS is set, and mints under the current one", async () => {
    const old = await mintToken(claims, { TOKEN_KEY: OTHER });
    expect(await verifies(old, { TOKEN_KEY: KEY, TOKEN_KEY_PREVIOUS: OTHER })).toBe(true);
    expect(await verifies(old, { TOKEN_KEY: KEY })).toBe(false);
    const fresh = await mintToken(claims, { TOKEN_KEY: KEY, TOKEN_KEY_PREVIOUS: OTHER });
    expect(await verifies(fresh, { TOKEN_KEY: KEY })).toBe(true);
    expect(await verifies(fresh, { TOKEN_KEY: OTHER })).toBe(false);
  });

  it("will not mint or verify without a TOKEN_KEY of at least 32 characters", async () => {
    await expect(mintToken(claims, {})).rejects.toBeInstanceOf(TokenKeyError);
    await expect(mintToken(claims, { TOKEN_KEY: "short" })).rejects.toBeInstanceOf(TokenKeyError);
    const token = await mintToken(claims, { TOKEN_KEY: KEY });
    await expect(verifies(token, { TOKEN_KEY: "" })).rejects.toBeInstanceOf(TokenKeyError);
    // A short previous key is ignored rather than trusted.
    expect(await verifies(await mintToken(claims, { TOKEN_KEY: `${"p".repeat(31)}x` }), { TOKEN_KEY: KEY, TOKEN_KEY_PREVIOUS: "short" })).toBe(false);
  });
});
