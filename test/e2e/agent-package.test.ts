// The agent as users get it: `npm pack` of packages/agent, installed from the tarball into an empty
// folder, run through npx on every Node found here (the system Node, 20 on CI, and the Node the
// tests run on), with no engine warnings and on the watch transport; stopped the way a service manager does it, `kill` of
// the npx process, it must leave the directory.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningDirectory, createCluster, startDirectory } from "../support/directory.js";
import { envWithNode, nodesHere } from "../support/nodes.js";
import { freePort, peerId, waitFor } from "./agent-harness.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const packageDir = join(root, "packages/agent");

describe("the peerdir-agent package", () => {
  let work: string;
  let tarball: string;
  let directory: RunningDirectory;
  let joinTokenFile: string;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "peerdir-agent-pkg-"));
    // The global setup has built the agent; packing without the prepack build keeps other test
    // files, which run the built files meanwhile, from reading one half-written.
    const packed = execFileSync("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", work], {
      cwd: packageDir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    tarball = join(work, packed.trim().split("\n").at(-1) ?? "");
    directory = await startDirectory();
    const { joinToken } = await createCluster(directory.url, directory.adminToken, "packaged");
    joinTokenFile = join(work, "join-token");
    writeFileSync(joinTokenFile, joinToken, { mode: 0o600 });
  });
  afterAll(async () => {
    await directory?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("is built from src/agent with the checkout's version, needs Node 20+ and nothing else", () => {
    const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
    const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(manifest.version).toBe(rootManifest.version);
    expect(manifest.engines).toEqual({ node: ">=20" });
    expect(manifest.dependencies).toBeUndefined();
    expect(readFileSync(join(packageDir, "dist/agent.mjs"), "utf8")).toMatch(/^\/\/ peerdir-agent: built by scripts\/build\.mjs from src\/agent/);
  });

  const nodes = nodesHere();
  it("is tried on at least one Node", () => {
    expect(nodes.length).toBeGreaterThan(0);
  });

  for (const { version, binDir } of nodes) {
    it(`installs from the tarball and runs through npx on Node ${version} without warnings, on the watch; kill of npx deregisters`, async () => {
      const folder = join(work, `node-${version}`);
      mkdirSync(folder);
      writeFileSync(join(folder, "package.json"), '{"private":true}\n');
      const install = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--offline", tarball], { cwd: folder, env: envWithNode(binDir), encoding: "utf8" });
      expect(install.status, install.stderr).toBe(0);
      expect(install.stderr).not.toMatch(/EBADENGINE|npm warn/i);

      const help = spawnSync("npx", ["--no-install", "peerdir-agent", "--version"], { cwd: folder, env: envWithNode(binDir), encoding: "utf8" });
      expect(help.status, help.stderr).toBe(0);
      expect(help.stdout.trim()).toContain(JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")).version);
      expect(help.stderr).toBe("");

      const node = `pkg-${version.split(".")[0]}`;
      const port = await freePort();
      const npx: ChildProcess = spawn(
        "npx",
        [
          "--no-install",
          "peerdir-agent",
          "--directory",
          directory.url,
          "--cluster",
          "packaged",
          "--node",
          node,
          "--join-token-file",
          joinTokenFile,
          "--state-dir",
          join(folder, "state"),
          "--listen",
          `127.0.0.1:${port}`,
          "--addr",
          `/ip4/127.0.0.1/tcp/5001/p2p/${await peerId()}`,
        ],
        // Its own process group, so a failed test can clean up npm, its shell and the agent at once.
        { cwd: folder, env: { ...envWithNode(binDir), PEERDIR_CONFIG: "" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
      );
      let logs = "";
      npx.stdout?.on("data", (c) => (logs += c));
      npx.stderr?.on("data", (c) => (logs += c));
      const npxExit = once(npx, "exit");
      try {
        const listed = async () => {
          const res = await fetch(`${directory.url}/v1/admin/clusters/packaged/nodes`, { headers: { Authorization: `Bearer ${directory.adminToken}` } });
          return ((await res.json()) as { nodes: { id: string }[] }).nodes.some((n) => n.id === node);
        };
        await waitFor("the agent to register", async () => ((await listed()) ? true : undefined), 60_000).catch((err) => {
          throw new Error(`${err}\n${logs}`);
        });
        expect(logs).not.toMatch(/EBADENGINE|npm warn/i);
        // The directory lists the node as soon as it minted the credential; the agent holds it (and
        // so can leave) once it has read the answer.
        await waitFor("the agent to hold its credential", async () => (/registered with the join token/.test(logs) ? true : undefined), 30_000);
        // The watch on every Node, the agent's own WebSocket client (Node 20 has no global one).
        await waitFor(
          "the agent to watch",
          async () => ((await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).includes('peerdir_agent_transport{transport="watch"} 1\n') ? true : undefined),
          15_000,
        ).catch((err) => {
          throw new Error(`${err}\n${logs}`);
        });

        npx.kill("SIGTERM");
        await npxExit;
        // Well inside the 60 s lease, so the node is gone because it left, not because it expired.
        await waitFor("the agent to leave the directory", async () => ((await listed()) ? undefined : true), 20_000).catch((err) => {
          throw new Error(`${err}\n${logs}`);
        });
        await waitFor(
          "the agent to stop serving",
          async () => {
            try {
              await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(500) });
              return undefined;
            } catch {
              return true;
            }
          },
          10_000,
        );
        // The directory drops the node as it answers the DELETE; the agent's line follows once the answer is read.
        await waitFor("the agent to log its leaving", async () => (/left the directory/.test(logs) ? true : undefined), 10_000).catch((err) => {
          throw new Error(`${err}\n${logs}`);
        });
        expect(logs).toMatch(/stopping/);
        expect(logs).toMatch(/left the directory/);
      } finally {
        try {
          process.kill(-npx.pid!, "SIGKILL");
        } catch {
          // the group is gone: everything stopped as it should
        }
      }
    });
  }
});
