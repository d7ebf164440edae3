// A node an operator blocks, against the real Worker on 127.0.0.1 (the agent is an in-process
// instance of the real agent code): the agent says it is blocked by an operator and why, once,
// without sending the operator to the join token; once the block is lifted it is back within
// one renew interval.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Agent } from "../../src/agent/agent.js";
import { parseCommand } from "../../src/agent/config.js";
import { createLogger } from "../../src/agent/log.js";
import { StateStore } from "../../src/agent/state-store.js";
import { createCluster, type RunningDirectory, startDirectory } from "../support/directory.js";

const TTL = 12; // renewals every ttl/3 = 4 s (jittered ±10 %)
const work = mkdtempSync(join(tmpdir(), "peerdir-blocked-"));
let directory: RunningDirectory | null = null;
let agent: Agent | null = null;
let running: Promise<void> | null = null;

afterAll(async () => {
  agent?.stop();
  await running;
  await directory?.stop();
});

describe("a blocked node", () => {
  it("is told it is blocked and why, and is back within one renew interval of the block being lifted", async () => {
    directory = await startDirectory();
    const { joinToken } = await createCluster(directory.url, directory.adminToken, "lab");
    const tokenFile = join(work, "token");
    writeFileSync(tokenFile, joinToken);
    const parsed = parseCommand([
      "--directory",
      directory.url,
      "--cluster",
      "lab",
      "--node",
      "node-3",
      "--addr",
      "/ip4/127.0.0.3/tcp/5001",
      "--join-token-file",
      tokenFile,
      "--state-dir",
      work,
      "--ttl",
      String(TTL),
      "--transport",
      "long-poll",
    ]);
    if (parsed.kind !== "run") throw new Error("not a run");
    const lines: string[] = [];
    const store = new StateStore(work, "lab", "node-3");
    await store.init();
    agent = new Agent({ config: parsed.config, store, log: createLogger({ format: "text", level: "info", write: (l) => lines.push(l) }), credential: null });
    running = agent.run();
    const a = agent;
    await expect.poll(() => a.view.syncedThisRun && a.lease.live, { message: "the first sync", timeout: 10_000, interval: 50 }).toBeTruthy();

    const admin = { authorization: `Bearer ${directory.adminToken}`, "content-type": "application/json" };
    const put = await fetch(`${directory.url}/v1/admin/clusters/lab/overrides/node-3`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ action: "block", reason: "compromised host" }),
    });
    expect(put.status).toBe(200);
    await expect.poll(() => lines.some((l) => l.includes("blocked by an operator")), { message: "the block to be logged", timeout: 15_000, interval: 50 }).toBeTruthy();

    const del = await fetch(`${directory.url}/v1/admin/clusters/lab/overrides/node-3`, { method: "DELETE", headers: admin });
    expect(del.status).toBe(204);
    const liftedAt = Date.now();
    await expect.poll(() => a.lease.live, { message: "the lease back", timeout: 15_000, interval: 50 }).toBeTruthy();
    const back = Date.now() - liftedAt;
    await expect.poll(() => (a.view.syncedAt?.getTime() ?? 0) >= liftedAt, { message: "a sync after the block", timeout: 5_000, interval: 50 }).toBeTruthy();

    const said = lines.filter((l) => l.includes("blocked by an operator"));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain("this node is blocked by an operator: compromised host");
    expect(said[0]).not.toContain("join token");
    // One renew interval: ttl/3 = 4 s (the agent waits 90-100 % of it), plus the request.
    expect(back).toBeLessThanOrEqual((TTL / 3) * 1000 + 1_000);
  });
});
