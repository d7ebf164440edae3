// A new user's first hour, on the oldest Node here (20 on CI), with the README's own commands run
// verbatim by bash in a scratch copy of the checkout: `npm start` (first start, no .dev.vars yet)
// → the walkthrough → the agent quick start (two `npx peerdir-agent`s) → the admin CLI → the
// deploy dry run. Only the ports differ from the README, so parallel runs cannot collide.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { scratchCheckout } from "../support/checkout.js";
import { envWithNode, oldestNode } from "../support/nodes.js";
import { freePort, waitFor } from "./agent-harness.js";

const run = promisify(execFile);
const { version, binDir } = oldestNode();
const env = envWithNode(binDir, { PEERDIR_CONFIG: "" });

/** The sh blocks of one README section, in order. */
function blocks(readme: string, heading: string): string[] {
  const section = readme.split(`\n## ${heading}\n`)[1]?.split("\n## ")[0] ?? "";
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

interface Background {
  child: ChildProcess;
  output: () => string;
  exited: Promise<unknown>;
}

/** A long-running README command in its own process group, as in its own terminal. */
function background(cwd: string, script: string): Background {
  const child = spawn("bash", ["-euo", "pipefail", "-c", script], { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (c) => (output += c));
  child.stderr?.on("data", (c) => (output += c));
  return { child, output: () => output, exited: once(child, "exit") };
}

/** Ctrl-C in that terminal: SIGINT to the whole process group. */
async function interrupt(job: Background): Promise<void> {
  if (job.child.exitCode !== null || job.child.signalCode !== null) return;
  try {
    process.kill(-job.child.pid!, "SIGINT");
  } catch {
    return;
  }
  await job.exited;
}

describe(`the new-user path on Node ${version}`, () => {
  const cwd = scratchCheckout();
  const jobs: Background[] = [];
  afterAll(async () => {
    for (const job of jobs) await interrupt(job);
    for (const job of jobs) {
      try {
        process.kill(-job.child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(cwd, { recursive: true, force: true });
  });

  it("README → walkthrough → agent quick start → CLI → deploy dry run", { timeout: 240_000 }, async () => {
    const readme = readFileSync(join(cwd, "README.md"), "utf8");
    const [port, agentA, agentB] = [await freePort(), await freePort(), await freePort()];
    const localize = (script: string) =>
      script.replaceAll("127.0.0.1:8787", `127.0.0.1:${port}`).replaceAll("127.0.0.1:7947", `127.0.0.1:${agentB}`).replaceAll("127.0.0.1:7946", `127.0.0.1:${agentA}`);
    const sh = async (script: string) => (await run("bash", ["-euo", "pipefail", "-c", localize(script)], { cwd, env })).stdout;

    // Quick start: `npm install && npm start`, the install being done.
    expect(blocks(readme, "Quick start")[0].trim()).toBe("npm install && npm start");
    const start = background(cwd, `exec npm start -- --port ${port}`);
    jobs.push(start);
    await waitFor("npm start to announce the directory", async () => (start.output().includes(`peerdir: directory at http://127.0.0.1:${port}`) ? true : undefined), 90_000).catch(
      (err) => {
        throw new Error(`${err}\n${start.output()}`);
      },
    );
    expect(readFileSync(join(cwd, ".dev.vars"), "utf8")).toMatch(/^ADMIN_TOKEN=\S{40,}$/m);

    const walkthrough = await sh(blocks(readme, "Walkthrough")[0]);
    expect(walkthrough).toContain('{"version":3,"peers":[{"id":"node-b","addrs":["/ip4/127.0.0.2/tcp/5001"],"labels":{}}]}');

    const [first, second, probe] = blocks(readme, "Agent quick start");
    // The first agent listens on the default 127.0.0.1:7946; here on a free port instead.
    jobs.push(background(cwd, `${localize(first).trimEnd()} --listen 127.0.0.1:${agentA}`));
    await waitFor(
      "the quick-start cluster's join token",
      async () => (readFileSync(join(cwd, ".tmp/quickstart.join-token"), "utf8").startsWith("pdj_") ? true : undefined),
      30_000,
    );
    jobs.push(background(cwd, localize(second)));
    const documented = /^The first prints `(.+)`\.$/m.exec(readme)?.[1];
    expect(documented).toBeDefined();
    await waitFor("agent A to serve node-b as the README says", async () => ((await sh(probe)).split("\n")[0] === documented ? true : undefined), 60_000, []).catch((err) => {
      throw new Error(`${err}\n${jobs.map((j) => j.output()).join("\n---\n")}`);
    });

    // On every Node the project supports, npx runs the checkout's bins without engine warnings.
    expect(jobs.map((j) => j.output()).join("\n")).not.toMatch(/EBADENGINE|npm warn/);

    const cli = await sh(blocks(readme, "Admin CLI")[0]);
    expect(cli).toMatch(/^quickstart\s+2\s/m);
    expect(cli).toMatch(/^demo\s+1\s/m);

    const dryRun = await sh("npm run deploy -- --dry-run --outdir .tmp/deploy-dry-run --env production");
    expect(dryRun).toMatch(/^deploy: bundle: .* KiB budget$/m);

    // Ctrl-C in each agent's terminal: both leave the directory.
    for (const job of jobs.slice(1)) await interrupt(job);
    const token = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(join(cwd, ".dev.vars"), "utf8"))?.[1];
    const nodes = await fetch(`http://127.0.0.1:${port}/v1/admin/clusters/quickstart/nodes`, { headers: { Authorization: `Bearer ${token}` } });
    expect(((await nodes.json()) as { nodes: unknown[] }).nodes).toEqual([]);
  });
});
