/**
 * Helpers for the agent end-to-end tests: free ports, real `peerdir-agent` child processes
 * (the built bin, as users run it), bounded polling, and valid libp2p peer ids.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
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
