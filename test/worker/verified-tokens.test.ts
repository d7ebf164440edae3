// The Worker remembers node tokens whose MAC it verified (per isolate), so renewals and handout
// reads skip the HMAC and the hashing. Remembering must grant nothing: a revoked credential, a
// blocked or evicted node, a token shown to another cluster and a token of a retired TOKEN_KEY
// are all refused as before; and the memory stays bounded.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseToken } from "../../src/contract/tokens.js";
import worker from "../../src/worker/index.js";
import { sha256Hex } from "../../src/worker/secrets.js";
import { mintToken } from "../../src/worker/token-mac.js";
import { rememberedCount, rememberedToken, VERIFIED_TOKENS_LIMIT, verifyAndRemember } from "../../src/worker/verified-tokens.js";
import { ADMIN, addr, createCluster, join } from "./helpers.js";

const NEW_KEY = "the-next-token-key-of-this-deployment-0123456789";

/** A request to the real Worker with the given bindings (here: rotated keys). */
async function send(bindings: Env, method: string, path: string, token: string, body?: unknown) {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, "CF-Connecting-IP": "10.9.9.9" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://peerdir.test${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const peers = (bindings: Env, cluster: string, node: string, token: string) => send(bindings, "GET", `/v1/clusters/${cluster}/nodes/${node}/peers`, token);
const renew = (bindings: Env, cluster: string, node: string, token: string) => send(bindings, "PUT", `/v1/clusters/${cluster}/nodes/${node}`, token, { addrs: [addr(1)] });
const adminCall = (method: string, path: string, body?: unknown) => send(env, method, path, ADMIN, body);

describe("remembered node tokens", () => {
  it("are remembered after one use, with the hash the object looks them up by", async () => {
    const joinToken = await createCluster("vt-remember");
    const { credential } = await join("vt-remember", joinToken, "a", { addrs: [addr(1)] });
    expect((await peers(env, "vt-remember", "a", credential)).status).toBe(200);
    expect(rememberedToken(credential, env)).toEqual({ cluster: "vt-remember", hash: await sha256Hex(credential) });
    // A renewal answered from the remembered verification is the same renewal as before.
    const renewed = await renew(env, "vt-remember", "a", credential);
    expect(renewed.status).toBe(200);
    expect(renewed.headers.get("Content-Type")).toBe("application/json");
    expect(await renewed.json()).toMatchObject({ node: "a", ttlSeconds: expect.any(Number), renewAfterSeconds: expect.any(Number) });
  });

  it("still refuse a revoked credential, a blocked node and an evicted node", async () => {
    const joinToken = await createCluster("vt-revoke");
    const a = await join("vt-revoke", joinToken, "a", { addrs: [addr(1)] });
    const b = await join("vt-revoke", joinToken, "b", { addrs: [addr(2)] });
    const c = await join("vt-revoke", joinToken, "c", { addrs: [addr(3)] });
    for (const { node, credential } of [a, b, c]) {
      expect((await renew(env, "vt-revoke", node, credential)).status).toBe(200);
      expect(rememberedToken(credential, env)).toBeDefined();
    }

    expect((await adminCall("DELETE", "/v1/admin/clusters/vt-revoke/nodes/a/credential")).status).toBe(204);
    expect((await renew(env, "vt-revoke", "a", a.credential)).status).toBe(401);
    expect((await peers(env, "vt-revoke", "a", a.credential)).status).toBe(401);

    expect((await adminCall("PUT", "/v1/admin/clusters/vt-revoke/overrides/b", { action: "block", reason: "test" })).status).toBeLessThan(300);
    expect((await renew(env, "vt-revoke", "b", b.credential)).status).toBe(403);
    expect((await peers(env, "vt-revoke", "b", b.credential)).status).toBe(403);

    expect((await adminCall("POST", "/v1/admin/clusters/vt-revoke/nodes/c/evict", { reason: "test" })).status).toBeLessThan(300);
    // Evicted: the lease ends and the credential is retired, so the remembered token is refused as unknown.
    expect((await peers(env, "vt-revoke", "c", c.credential)).status).toBe(401);
    expect((await renew(env, "vt-revoke", "c", c.credential)).status).toBe(401);
  });

  it("still refuse a token of one cluster shown to another", async () => {
    const joinToken = await createCluster("vt-home");
    await createCluster("vt-elsewhere");
    const { credential } = await join("vt-home", joinToken, "a", { addrs: [addr(1)] });
    expect((await peers(env, "vt-home", "a", credential)).status).toBe(200);
    expect(rememberedToken(credential, env)).toBeDefined();
    const res = await peers(env, "vt-elsewhere", "a", credential);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toContain('cluster "vt-elsewhere"');
  });

  it("are forgotten when the key set changes: a retired key's tokens are refused at once", async () => {
    const joinToken = await createCluster("vt-rotate");
    const { credential } = await join("vt-rotate", joinToken, "a", { addrs: [addr(1)] });
    expect((await renew(env, "vt-rotate", "a", credential)).status).toBe(200);
    expect(rememberedToken(credential, env)).toBeDefined();

    // Rotation underway: the old key is TOKEN_KEY_PREVIOUS, still accepted.
    const rotating = { ...env, TOKEN_KEY: NEW_KEY, TOKEN_KEY_PREVIOUS: env.TOKEN_KEY } as Env;
    expect((await renew(rotating, "vt-rotate", "a", credential)).status).toBe(200);
    expect(rememberedToken(credential, rotating)).toBeDefined();

    // Rotation done: the old key is gone, and so is everything verified under it.
    const rotated = { ...env, TOKEN_KEY: NEW_KEY, TOKEN_KEY_PREVIOUS: undefined } as Env;
    const refused = await renew(rotated, "vt-rotate", "a", credential);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { detail: string }).detail).toContain("retired TOKEN_KEY");
    expect((await peers(rotated, "vt-rotate", "a", credential)).status).toBe(401);
    expect(rememberedToken(credential, rotated)).toBeUndefined();

    // Nor does going back to the original keys bring back a verification made under them before.
    // The first look with them realigns the memory (and answers undefined whatever it held); the
    // second shows what it holds: nothing, so the token is verified again.
    expect(rememberedToken("", env)).toBeUndefined();
    expect(rememberedToken(credential, env)).toBeUndefined();
    expect(rememberedCount()).toBe(0);
    expect((await peers(env, "vt-rotate", "a", credential)).status).toBe(200);
    expect(rememberedToken(credential, env)).toEqual({ cluster: "vt-rotate", hash: await sha256Hex(credential) });
  });

  it("never remember a token whose MAC does not verify", async () => {
    const forged = await mintToken({ kind: "node", cluster: "vt-forged", subject: "a" }, { TOKEN_KEY: NEW_KEY });
    expect((await peers(env, "vt-forged", "a", forged)).status).toBe(401);
    expect(rememberedToken(forged, env)).toBeUndefined();
    expect(await verifyAndRemember(forged, parseToken(forged)!, env)).toBeNull();
    expect(rememberedToken(forged, env)).toBeUndefined();
  });

  it("stay bounded, forgetting the least recently used first", async () => {
    expect(rememberedToken("", env)).toBeUndefined(); // aligned with env's keys
    const tokens: string[] = [];
    for (let i = 0; i <= VERIFIED_TOKENS_LIMIT; i++) {
      const token = await mintToken({ kind: "node", cluster: "vt-bounded", subject: `n${i}` }, env);
      tokens.push(token);
      expect(await verifyAndRemember(token, parseToken(token)!, env)).not.toBeNull();
      // The first token stays in use, so it is never the least recently used.
      if (i % 100 === 0) expect(rememberedToken(tokens[0], env)).toBeDefined();
    }
    expect(rememberedCount()).toBe(VERIFIED_TOKENS_LIMIT);
    expect(rememberedToken(tokens[0], env)).toBeDefined();
    expect(rememberedToken(tokens[1], env)).toBeUndefined();
    expect(rememberedToken(tokens[VERIFIED_TOKENS_LIMIT], env)).toBeDefined();
  }, 60_000);
});
