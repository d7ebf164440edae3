/**
 * Helpers for the agent end-to-end tests: free ports, real `peerdir-agent` child processes
 * (the built bin, as users run it), bounded polling, valid libp2p peer ids, and a directory with
 * one cluster per test file.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server as HttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { createCluster, type RunningDirectory, startDirectory } from "../support/directory.js";
import { base58btc } from "multiformats/bases/base58";
import { sha256 } from "multiformats/hashes/sha2";

const root = fileURLToPath(new URL("../..", import.meta.url));

const handedOut = new Set<number>();

/**
 * A port that was free a moment ago (bind port 0, read it, close), and never one this process
 * handed out before: the kernel may give the same ephemeral port twice in a row.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** A valid sha2-256 libp2p peer id ("Qm..."). */
export async function peerId(): Promise<string> {
  return base58btc.baseEncode((await sha256.digest(randomBytes(32))).bytes);
}

export interface AgentProcess {
  node: string;
  port: number;
  base: string;
  child: ChildProcess;
  logs: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `execPath`: the node binary to run the agent under (default: the one running the tests). */
export function spawnAgent(node: string, port: number, args: string[], execPath = process.execPath): AgentProcess {
  const child = spawn(execPath, ["bin/peerdir-agent.mjs", "--node", node, "--listen", `127.0.0.1:${port}`, ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PEERDIR_CONFIG: "" },
  });
  const logs: string[] = [];
  const collect = (chunk: Buffer) => logs.push(...chunk.toString().split("\n").filter(Boolean));
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { node, port, base: `http://127.0.0.1:${port}`, child, logs, exited };
}

export function running(agent: AgentProcess): boolean {
  return agent.child.exitCode === null && agent.child.signalCode === null;
}

export async function killAll(agents: AgentProcess[]): Promise<void> {
  await Promise.all(
    agents.filter(running).map(async (a) => {
      a.child.kill("SIGKILL");
      await a.exited;
    }),
  );
}

/**
 * Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` with
 * the last reason and the agents' recent logs. Resolves with the value and the time it took.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, agents: AgentProcess[] = []): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return { value, ms: Date.now() - start };
    } catch (err) {
      last = err;
    }
    if (Date.now() - start > timeoutMs) {
      const logs = agents.map((a) => `--- ${a.node}\n${a.logs.slice(-15).join("\n")}`).join("\n");
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function get(agent: AgentProcess, path: string, accept?: string): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(agent.base + path, { headers: accept ? { accept } : {}, signal: AbortSignal.timeout(2_000) });
  return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
}

export async function getJson<T>(agent: AgentProcess, path: string): Promise<T> {
  const r = await get(agent, path, "application/json");
  if (r.status !== 200) throw new Error(`${agent.node} ${path}: HTTP ${r.status} ${r.text}`);
  return JSON.parse(r.text) as T;
}

export interface AgentCluster {
  readonly cluster: string;
  /** A temporary folder of the file's own: the join token, state dirs, the directory's storage. */
  readonly work: string;
  readonly tokenFile: string;
  /** Set before the file's tests run. */
  directory: RunningDirectory;
  joinToken: string;
  /** Agents and servers the file starts: stopped after its tests. */
  readonly spawned: AgentProcess[];
  readonly servers: HttpServer[];
  /**
   * A real agent in this cluster (JSON logs, its own port and peer id, the file's state dir),
   * with `extra` flags; `url` another way to the directory (a proxy), `execPath` another Node.
   */
  agent(node: string, extra?: string[], options?: { url?: string; execPath?: string }): Promise<AgentProcess>;
}

/**
 * A real directory with one cluster for one test file's agents: started before its tests, and
 * stopped with every agent and server the file started after them.
 */
export function agentCluster(cluster: string): AgentCluster {
  const work = mkdtempSync(join(tmpdir(), `peerdir-agent-e2e-${cluster}-`));
  const fixture: AgentCluster = {
    cluster,
    work,
    tokenFile: join(work, "join-token"),
    directory: undefined as unknown as RunningDirectory,
    joinToken: "",
    spawned: [],
    servers: [],
    async agent(node, extra = [], options = {}) {
      const args = ["--directory", options.url ?? fixture.directory.url, "--cluster", cluster, "--join-token-file", fixture.tokenFile];
      args.push("--addr", `/ip4/127.0.0.1/tcp/7000/p2p/${await peerId()}`, "--state-dir", join(work, "state"), "--log-format", "json", ...extra);
      const agent = spawnAgent(node, await freePort(), args, options.execPath);
      fixture.spawned.push(agent);
      return agent;
    },
  };
  beforeAll(async () => {
    fixture.directory = await startDirectory({ persistDir: join(work, "directory") });
    ({ joinToken: fixture.joinToken } = await createCluster(fixture.directory.url, fixture.directory.adminToken, cluster));
    writeFileSync(fixture.tokenFile, fixture.joinToken, { mode: 0o600 });
  });
  afterAll(async () => {
    await killAll(fixture.spawned);
    await Promise.all(fixture.servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await fixture.directory?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  return fixture;
}
