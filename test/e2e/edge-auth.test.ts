// Strangers stop at the edge, on the built Worker over real HTTP: TOKEN_KEY rotation across
// restarts on the same state, the per-address limit on failed authentication of wrangler.toml,
// and no Durable Object storage left behind by forged requests (counted as SQLite files).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mintToken } from "../../src/worker/token-mac.js";
import { TEST_TOKEN_KEY, TEST_TOKEN_KEY_OLD } from "../support/constants.js";
import { createCluster, type RunningDirectory, startDirectory } from "../support/directory.js";

const running: RunningDirectory[] = [];
afterAll(async () => {
  await Promise.all(running.map((d) => d.stop()));
});

async function start(options: Parameters<typeof startDirectory>[0]) {
  const dir = await startDirectory(options);
  running.push(dir);
  return dir;
}
async function stop(dir: RunningDirectory) {
  await dir.stop();
  running.splice(running.indexOf(dir), 1);
}

async function put(url: string, cluster: string, node: string, token: string, ip = "192.0.2.1"): Promise<Response> {
  const send = () =>
    fetch(`${url}/v1/clusters/${cluster}/nodes/${node}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "CF-Connecting-IP": ip },
      body: JSON.stringify({ addrs: ["/ip4/127.0.0.1/tcp/5001"], ttlSeconds: 600 }),
    });
  try {
    return await send();
  } catch {
    // A kept-alive connection the server closed just as it was reused (under load): once more.
    return send();
  }
}

/**
 * A GET of the node's peers: what the refused requests below send. (A refused PUT leaves its body
 * unread, so the server does not keep that connection alive, and a client reusing it fails.)
 */
async function peers(url: string, cluster: string, token: string, ip: string): Promise<Response> {
  const send = () => fetch(`${url}/v1/clusters/${cluster}/nodes/n1/peers`, { headers: { Authorization: `Bearer ${token}`, "CF-Connecting-IP": ip } });
  try {
    return await send();
  } catch {
    return send();
  }
}

/** Durable Object storage files (miniflare keeps them under `do/`; the rate limiter's own state is elsewhere). */
function sqliteFiles(dir: string): number {
  let n = 0;
  for (const entry of readdirSync(join(dir, "do"), { withFileTypes: true, recursive: true })) if (entry.isFile() && entry.name.endsWith(".sqlite")) n++;
  return n;
}

describe("TOKEN_KEY rotation", () => {
  it("accepts tokens of the previous key while TOKEN_KEY_PREVIOUS is set, and refuses them at the edge after", async () => {
    // Before: everything minted under the old key.
    const before = await start({ tokenKey: TEST_TOKEN_KEY_OLD });
    const { joinToken: oldJoin } = await createCluster(before.url, before.adminToken, "rot");
    const a = (await (await put(before.url, "rot", "a", oldJoin)).json()) as { credential: string };
    await stop(before);

    // During: the new key mints, the old one is still accepted.
    const during = await start({ persistDir: before.persistDir, tokenKey: TEST_TOKEN_KEY, previousTokenKey: TEST_TOKEN_KEY_OLD });
    expect((await put(during.url, "rot", "a", a.credential)).status).toBe(200);
    const b = await put(during.url, "rot", "b", oldJoin);
    expect(b.status).toBe(201);
    const { credential: bCredential } = (await b.json()) as { credential: string };
    const issued = await fetch(`${during.url}/v1/admin/clusters/rot/join-tokens`, { method: "POST", headers: { Authorization: `Bearer ${during.adminToken}` } });
    const { token: newJoin } = (await issued.json()) as { token: string };
    await stop(during);

    // After: only the new key. Old tokens are refused by the Worker; the new ones work.
    const after = await start({ persistDir: before.persistDir, tokenKey: TEST_TOKEN_KEY });
    const refused = await put(after.url, "rot", "a", a.credential);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("Content-Type")).toBe("application/problem+json");
    expect(((await refused.json()) as { detail: string }).detail).toContain("retired TOKEN_KEY");
    expect((await put(after.url, "rot", "c", oldJoin)).status).toBe(401);
    expect((await put(after.url, "rot", "b", bCredential)).status).toBe(200);
    expect((await put(after.url, "rot", "d", newJoin)).status).toBe(201);
    await stop(after);
  });
});

describe("forged requests at the edge", () => {
  it("leave no Durable Object storage behind, and past the per-address limit get 429 with Retry-After", async () => {
    const dir = await start({});
    const { joinToken } = await createCluster(dir.url, dir.adminToken, "real");
    const real = (await (await put(dir.url, "real", "n1", joinToken)).json()) as { credential: string };
    const files = sqliteFiles(dir.persistDir);
    expect(files).toBeGreaterThanOrEqual(2); // the catalog and "real"

    // 1,000 requests, each from its own address, naming made-up clusters with real tokens of
    // "real", tokens minted for the made-up cluster under another key, and pre-MAC-shaped tokens.
    const other = "a-key-of-another-deployment-0123456789abcdef";
    const statuses: number[] = [];
    for (let start = 0; start < 1_000; start += 20) {
      const batch = Array.from({ length: 20 }, async (_, j) => {
        const i = start + j;
        const cluster = `made-up-${i}`;
        const tokens = [joinToken, real.credential, await mintToken({ kind: "join", cluster, subject: "AAAAAAAAAAAA" }, { TOKEN_KEY: other }), `pdj_${"A".repeat(43)}`];
        const res = await peers(dir.url, cluster, tokens[i % tokens.length], `198.51.${Math.floor(i / 250)}.${i % 250}`);
        await res.arrayBuffer();
        return res.status;
      });
      statuses.push(...(await Promise.all(batch)));
    }
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(sqliteFiles(dir.persistDir)).toBe(files);

    // One address: its 100 failures per minute (wrangler.toml) are answered 401, then 429.
    // If the limiter's one-minute window turns during the loop, up to 100 more are allowed.
    const ip = "203.0.113.9";
    let refused = 0;
    let res = await peers(dir.url, "made-up", real.credential, ip);
    while (res.status === 401 && refused <= 200) {
      refused++;
      await res.arrayBuffer();
      res = await peers(dir.url, "made-up", real.credential, ip);
    }
    expect(refused).toBeGreaterThanOrEqual(100);
    expect(refused).toBeLessThanOrEqual(200);
    expect(res.status).toBe(429);
    expect(res.headers.get("Retry-After")).toBe("60");
    expect(((await res.json()) as { type: string }).type).toBe("urn:peerdir:problem:rate-limited");
    // A valid token from that address still works; valid tokens never count.
    expect((await peers(dir.url, "real", real.credential, ip)).status).toBe(200);
    expect(sqliteFiles(dir.persistDir)).toBe(files);
  });
});
