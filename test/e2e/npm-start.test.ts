// `npm start` exactly as a user runs it, on the oldest Node here (20 on CI): npm, the launcher,
// scripts/dev.mjs and wrangler dev with secrets from .dev.vars (not the test pool's direct
// bindings). It runs in a scratch copy of the checkout, so the real .dev.vars and .wrangler state
// are never touched.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchCheckout } from "../support/checkout.js";
import { envWithNode, oldestNode } from "../support/nodes.js";
import { freePort } from "./agent-harness.js";

const WRITE = "npm-start-admin-token-0123456789";
const READ = "npm-start-read-token-0123456789";

interface Started {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  /** The exit code, or the signal's name (npm re-raises the signal it was stopped by). */
  exit: Promise<number | string | null>;
}

function npmStart(cwd: string, args: string[]): Started {
  const child = spawn("npm", ["start", "--", ...args], { cwd, env: envWithNode(oldestNode().binDir), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk) => (out += chunk));
  child.stderr?.on("data", (chunk) => (err += chunk));
  const exit = once(child, "exit").then(([code, signal]) => (code ?? signal) as number | string | null);
  return { child, out: () => out, err: () => err, exit };
}

describe("npm start", () => {
  let cwd: string;
  beforeAll(() => {
    cwd = scratchCheckout();
    writeFileSync(join(cwd, ".dev.vars"), `ADMIN_TOKEN=${WRITE}\nADMIN_READ_TOKEN=${READ}\n`, { mode: 0o600 });
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it("passes --port through, says where once /healthz answers, binds both admin tokens from .dev.vars, writes a missing TOKEN_KEY, and stops on SIGTERM", async () => {
    const port = await freePort();
    const run = npmStart(cwd, ["--port", String(port)]);
    try {
      const url = `http://127.0.0.1:${port}`;
      // Polled as a state, so an early exit shows in the failure as what happened instead.
      let state = "starting";
      void run.exit.then((code) => (state = `exited (${code}) before the ready line`));
      await expect.poll(() => (run.out().includes(`peerdir: directory at ${url}`) ? "ready" : state), { message: "the ready line", timeout: 60_000, interval: 100 }).toBe("ready");
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      // The console is built and served by wrangler dev too (wrangler.toml [build]).
      expect((await fetch(`${url}/console`)).headers.get("Content-Security-Policy")).toMatch(/^default-src 'self'/);

      const admin = (token: string, method: string, path: string, body?: unknown) =>
        fetch(`${url}${path}`, {
          method,
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const created = await admin(WRITE, "POST", "/v1/admin/clusters", { name: "started" });
      expect(created.status).toBe(201);
      // TOKEN_KEY was missing from .dev.vars: npm start wrote one, and the join token it MACs works.
      expect(readFileSync(join(cwd, ".dev.vars"), "utf8")).toMatch(/^TOKEN_KEY=[A-Za-z0-9_-]{43}$/m);
      const { joinToken } = (await created.json()) as { joinToken: string };
      expect((await admin(joinToken, "PUT", "/v1/clusters/started/nodes/n1", { addrs: ["/ip4/127.0.0.1/tcp/5001"] })).status).toBe(201);
      const listed = await admin(READ, "GET", "/v1/admin/clusters");
      expect(listed.status).toBe(200);
      expect(((await listed.json()) as { clusters: { name: string }[] }).clusters.map((c) => c.name)).toContain("started");
      expect((await admin(READ, "POST", "/v1/admin/clusters", { name: "refused" })).status).toBe(403);
      expect((await admin("not-a-token", "GET", "/v1/admin/clusters")).status).toBe(401);
      // Named admin tokens under wrangler dev: minted by root, scoped, revoked (the catalog's revocation log).
      const minted = await admin(WRITE, "POST", "/v1/admin/tokens", { name: "dev-team", role: "write", clusters: ["started"] });
      expect(minted.status).toBe(201);
      const named = (await minted.json()) as { id: string; token: string };
      expect((await admin(named.token, "PUT", "/v1/admin/clusters/started/overrides/n1", { action: "drain", reason: "dev" })).status).toBe(200);
      expect((await admin(named.token, "POST", "/v1/admin/clusters", { name: "refused" })).status).toBe(403);
      expect((await admin(WRITE, "DELETE", `/v1/admin/tokens/${named.id}`)).status).toBe(204);
      expect((await admin(named.token, "GET", "/v1/admin/clusters/started")).status).toBe(401);

      run.child.kill("SIGTERM");
      expect([0, "SIGTERM"]).toContain(await run.exit);
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      run.child.kill("SIGKILL");
    }
  });

  it("exits non-zero with wrangler's reason, and never claims the directory is up, when wrangler fails", async () => {
    const busy = createServer().listen(0, "127.0.0.1");
    await once(busy, "listening");
    const { port } = busy.address() as { port: number };
    try {
      const run = npmStart(cwd, [`--port=${port}`]);
      const code = await run.exit;
      expect(code).not.toBe(0);
      expect(run.out()).not.toContain("directory at");
      expect(run.err().trim().split("\n").at(-1)).toMatch(/^peerdir: the directory did not start: Address already in use/);
    } finally {
      busy.close();
    }
  });
});
