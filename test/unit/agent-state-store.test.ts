import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StateStore, writeFileAtomic } from "../../src/agent/state-store.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "peerdir-agent-state-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

describe("writeFileAtomic", () => {
  it("writes the content with exactly the requested mode and leaves no temp file", async () => {
    const path = join(dir, "credential.json");
    await writeFileAtomic(path, '{"a":1}\n', 0o600);
    expect(readFileSync(path, "utf8")).toBe('{"a":1}\n');
    expect(mode(path)).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["credential.json"]);
  });

  it("replaces an existing file whole, taking the new mode", async () => {
    const path = join(dir, "peers.json");
    writeFileSync(path, "old content that is longer than the new one", { mode: 0o644 });
    await writeFileAtomic(path, "new", 0o600);
    expect(readFileSync(path, "utf8")).toBe("new");
    expect(mode(path)).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["peers.json"]);
  });

  it("applies the mode regardless of the umask", async () => {
    const old = process.umask(0o077);
    try {
      await writeFileAtomic(join(dir, "public.json"), "x", 0o644);
    } finally {
      process.umask(old);
    }
    expect(mode(join(dir, "public.json"))).toBe(0o644);
  });

  it("leaves the old file and no temp file behind when the rename fails", async () => {
    const target = join(dir, "occupied");
    mkdirSync(join(target, "child"), { recursive: true }); // renaming a file over a non-empty directory fails
    await expect(writeFileAtomic(target, "data")).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(["occupied"]);
    expect(statSync(target).isDirectory()).toBe(true);
  });

  it("keeps concurrent writers from tearing the file", async () => {
    const path = join(dir, "race.json");
    const bodies = Array.from({ length: 20 }, (_, i) => JSON.stringify({ i, pad: "x".repeat(10_000) }));
    await Promise.all(bodies.map((b) => writeFileAtomic(path, b)));
    expect(bodies).toContain(readFileSync(path, "utf8"));
    expect(readdirSync(dir)).toEqual(["race.json"]);
  });
});

describe("StateStore", () => {
  it("keeps each cluster's and node's state apart, the credential at 0600 in a 0700 dir", async () => {
    const a = new StateStore(dir, "prod", "node-a");
    const b = new StateStore(dir, "prod", "node-b");
    await a.init();
    await b.init();
    await a.saveCredential("pdn_a");
    expect(await a.loadCredential()).toBe("pdn_a");
    expect(await b.loadCredential()).toBeNull();
    expect(mode(a.credentialPath)).toBe(0o600);
    expect(mode(a.dir)).toBe(0o700);
    expect(a.credentialPath).toBe(join(dir, "prod", "node-a", "credential.json"));
  });

  it("forgets a cleared credential", async () => {
    const s = new StateStore(dir, "prod", "n");
    await s.init();
    await s.saveCredential("pdn_x");
    await s.clearCredential();
    await s.clearCredential(); // idempotent
    expect(await s.loadCredential()).toBeNull();
  });

  it("persists and restores the last-known-good peers", async () => {
    const s = new StateStore(dir, "prod", "n");
    await s.init();
    const cached = { version: 7, peers: [{ id: "b", addrs: ["/ip4/10.0.0.2/tcp/1"], labels: { zone: "a" } }], syncedAt: "2026-01-01T00:00:00.000Z" };
    await s.savePeers(cached);
    expect(await s.loadPeers()).toEqual(cached);
  });

  it("ignores a missing or corrupt peers file instead of failing", async () => {
    const s = new StateStore(dir, "prod", "n");
    await s.init();
    expect(await s.loadPeers()).toBeNull();
    writeFileSync(s.peersPath, "{not json");
    expect(await s.loadPeers()).toBeNull();
    writeFileSync(s.peersPath, JSON.stringify({ version: 1, peers: [{ id: 3 }] }));
    expect(await s.loadPeers()).toBeNull();
  });
});
