// bin/peerdir-directory (the launcher of the release tarball and `peerdir serve`, here from
// dist/directory on npm's workerd): it refuses to start half-configured, with one line and a
// non-zero exit; the AUTH_FAILURES limiter really limits on workerd (and a forged
// CF-Connecting-IP does not escape it); and an upgrade keeps the data of the previous release.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain JS build script without declarations
import { workerdBinary } from "../../scripts/release.mjs";
import { TEST_ADMIN_TOKEN, TEST_TOKEN_KEY } from "../support/constants.js";
import { minimalPath, type RunningLauncher, startLauncher } from "../support/self-hosted.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const home = join(root, "dist/directory");
const work = mkdtempSync(join(tmpdir(), "peerdir-launcher-"));
const pathDir = minimalPath(join(work, "path"));
mkdirSync(join(work, "tmp"));
const secrets = { TOKEN_KEY: TEST_TOKEN_KEY, ADMIN_TOKEN: TEST_ADMIN_TOKEN, PEERDIR_WORKERD: workerdBinary() as string };
const running: RunningLauncher[] = [];

afterAll(async () => {
  await Promise.all(running.map((l) => l.kill()));
  rmSync(work, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = secrets) {
  const result = spawnSync(join(home, "bin/peerdir-directory"), args, { env: { PATH: pathDir, TMPDIR: join(work, "tmp"), ...env }, encoding: "utf8", timeout: 20_000 });
  return { status: result.status, lines: `${result.stdout}${result.stderr}`.trim().split("\n") };
}

async function launch(data: string): Promise<RunningLauncher> {
  const launcher = await startLauncher({ home, listen: "127.0.0.1:0", data, pathDir, tmp: join(work, "tmp"), secrets });
  running.push(launcher);
  return launcher;
}

describe("bin/peerdir-directory refuses to start half-configured", () => {
  const data = join(work, "refused");
  it.each([
    ["TOKEN_KEY is missing", [], { ADMIN_TOKEN: TEST_ADMIN_TOKEN }, /TOKEN_KEY is not set/],
    ["TOKEN_KEY is short", [], { ...secrets, TOKEN_KEY: "short" }, /TOKEN_KEY is 5 characters; it must be at least 32/],
    ["ADMIN_TOKEN is missing", [], { TOKEN_KEY: TEST_TOKEN_KEY }, /ADMIN_TOKEN is not set/],
    ["a TLS file is unreadable", ["--tls-cert", join(work, "none.pem"), "--tls-key", join(work, "none.key")], secrets, /cannot read the TLS file .*none\.pem/],
    ["only one TLS file is given", ["--tls-cert", join(work, "none.pem")], secrets, /--tls-cert and --tls-key go together/],
  ])("when %s", (_what, extra, env, message) => {
    const { status, lines } = run(["--listen", "127.0.0.1:0", "--data", data, ...extra], env as Record<string, string>);
    expect(status).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it("when the data directory is not writable", () => {
    // Root may write into any directory whatever its mode, but not into /proc.
    const readOnly = join(work, "read-only");
    mkdirSync(readOnly, { mode: 0o500 });
    const target = process.getuid?.() === 0 ? "/proc/peerdir-data" : join(readOnly, "data");
    const { status, lines } = run(["--listen", "127.0.0.1:0", "--data", target]);
    expect(status).toBe(1);
    expect(lines).toEqual([`peerdir-directory: cannot create the data directory ${target}`]);
    const fixed = process.getuid?.() === 0 ? "/proc" : readOnly;
    const again = run(["--listen", "127.0.0.1:0", "--data", fixed]);
    expect(again.status).toBe(1);
    expect(again.lines).toHaveLength(1);
    expect(again.lines[0]).toMatch(/^peerdir-directory: the data directory \/\S+ is not writable by /);
  });

  it("when the port is taken", async () => {
    const server = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as { port: number };
    const { status, lines } = run(["--listen", `127.0.0.1:${port}`, "--data", data]);
    server.close();
    expect(status).toBe(1);
    expect(lines).toEqual([`peerdir-directory: port ${port} is already in use on this host: stop what listens there or choose another --listen`]);
  });

  it("when the secrets file is readable by other users", () => {
    const file = join(work, "secrets.env");
    writeFileSync(file, `TOKEN_KEY=${TEST_TOKEN_KEY}\nADMIN_TOKEN=${TEST_ADMIN_TOKEN}\n`, { mode: 0o644 });
    chmodSync(file, 0o644);
    const { status, lines } = run(["--listen", "127.0.0.1:0", "--data", data, "--secrets-file", file], { PEERDIR_WORKERD: secrets.PEERDIR_WORKERD });
    expect(status).toBe(1);
    expect(lines).toEqual([`peerdir-directory: the secrets file ${file} is readable by other users (mode 644): chmod 600 it`]);
  });
});

describe("bin/peerdir-directory runs", () => {
  it("with secrets from a file, and stops cleanly on SIGTERM", async () => {
    const file = join(work, "secrets-ok.env");
    writeFileSync(file, `# the directory's secrets\nTOKEN_KEY=${TEST_TOKEN_KEY}\n\nADMIN_TOKEN=${TEST_ADMIN_TOKEN}\n`, { mode: 0o600 });
    const launcher = await startLauncher({
      home,
      listen: "127.0.0.1:0",
      data: join(work, "from-file"),
      pathDir,
      tmp: join(work, "tmp"),
      secrets: { PEERDIR_WORKERD: secrets.PEERDIR_WORKERD },
      extra: ["--secrets-file", file],
    });
    running.push(launcher);
    const res = await fetch(`${launcher.url}/v1/admin/clusters`, { headers: { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await launcher.stop()).toBe(0);
    expect(launcher.output()).toMatch(/peerdir-directory: stopped\n$/);
  });

  it("with a real AUTH_FAILURES limiter: past the limit 429, per client address; a forged CF-Connecting-IP changes nothing", async () => {
    const launcher = await launch(join(work, "limits"));
    const limit = 100; // wrangler.toml's AUTH_FAILURES
    const bad = (ip: string) => fetch(`${launcher.url}/v1/admin/clusters`, { headers: { Authorization: "Bearer not-a-token", "CF-Connecting-IP": ip } });
    const statuses: number[] = [];
    for (let i = 0; i < limit + 1; i++) statuses.push((await bad(`198.51.100.${i % 250}`)).status);
    expect(statuses.slice(0, limit).every((s) => s === 401)).toBe(true);
    const refused = await bad("203.0.113.9");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
    // A valid token never counts and is never refused.
    expect((await fetch(`${launcher.url}/v1/admin/clusters`, { headers: { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).status).toBe(200);
  });

  it("on the previous release's data: every cluster, credential and override is kept, and the migrations run", async () => {
    const data = join(work, "upgrade");
    cpSync(join(root, "test/fixtures/self-hosted-data-0.1.0"), data, { recursive: true });
    const launcher = await launch(data);
    const admin = (path: string) => fetch(`${launcher.url}/v1/admin${path}`, { headers: { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` } }).then((r) => r.json());
    expect(((await admin("/clusters")) as { clusters: { name: string }[] }).clusters.map((c) => c.name)).toEqual(["upgraded"]);
    expect(((await admin("/clusters/upgraded/overrides")) as { overrides: { node: string }[] }).overrides.map((o) => o.node)).toEqual(["seed-1"]);
    const credential = readFileSync(join(root, "test/fixtures/self-hosted-data-0.1.0.credential"), "utf8").trim();
    const renewed = await fetch(`${launcher.url}/v1/clusters/upgraded/nodes/n1`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${credential}`, "Content-Type": "application/json" },
      body: JSON.stringify({ addrs: ["/ip4/127.0.0.1/tcp/5001"], labels: { zone: "a" } }),
    });
    expect([200, 201]).toContain(renewed.status);
    expect((await renewed.json()) as object).not.toHaveProperty("credential");
    expect(await launcher.stop()).toBe(0);
    const objects = join(data, "peerdir-ClusterDirectory");
    const file = join(objects, readdirSync(objects).find((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")!);
    const db = new DatabaseSync(file, { readOnly: true });
    const { version } = db.prepare("SELECT MAX(version) AS version FROM _schema_migrations").get() as { version: number };
    db.close();
    const latest = Math.max(...readdirSync(join(root, "migrations")).flatMap((f) => (/^(\d{4})_.*\.sql$/.exec(f) ? [Number(f.slice(0, 4))] : [])));
    expect(version).toBe(latest);
  });
});

describe("peerdir serve", () => {
  it("runs the same launcher on npm's workerd: the ready line, then a clean stop on SIGTERM", async () => {
    const child = spawn(process.execPath, [join(root, "bin/peerdir.mjs"), "serve", "--listen", "127.0.0.1:0", "--data", join(work, "serve")], {
      env: { PATH: process.env.PATH, TMPDIR: join(work, "tmp"), TOKEN_KEY: TEST_TOKEN_KEY, ADMIN_TOKEN: TEST_ADMIN_TOKEN },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = once(child, "exit");
    let output = "";
    child.stderr.on("data", (d) => (output += d));
    await expect.poll(() => /ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1], { timeout: 20_000 }).toBeTruthy();
    const url = /ready at (\S+)/.exec(output)![1];
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    child.kill("SIGTERM");
    expect((await exited)[0]).toBe(0);
  });

  it("refuses to start without --data, naming it (exit 2, nothing started)", () => {
    const result = spawnSync(process.execPath, [join(root, "bin/peerdir.mjs"), "serve", "--listen", "127.0.0.1:0"], { encoding: "utf8" });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("peerdir serve needs --data DIR");
  });
});
