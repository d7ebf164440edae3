/** Starts real peerdir agents (bin/peerdir-agent.mjs) as child processes and reads them. */
import { spawn, execFileSync } from "node:child_process";
import { join } from "node:path";
import { root } from "./directory.mjs";
import { sleep } from "./proc.mjs";

export function agentHelp() {
  try {
    return execFileSync(process.execPath, [join(root, "bin/peerdir-agent.mjs"), "--help"], { encoding: "utf8" });
  } catch {
    return "";
  }
}

/**
 * @param {{directory:string, cluster:string, node:string, joinTokenFile:string, stateDir:string,
 *          port:number, addr:string, logLevel?:string, extraArgs?:string[], execPath?:string, nodeArgs?:string[], script?:string}} o
 *   execPath: the node binary to run it under (default: this one); nodeArgs: Node.js options before the script;
 *   script: another build of the agent to run (default: this checkout's bin).
 */
export function startAgent(o) {
  const args = [
    ...(o.nodeArgs ?? []),
    o.script ?? join(root, "bin/peerdir-agent.mjs"),
    "--directory",
    o.directory,
    "--cluster",
    o.cluster,
    "--node",
    o.node,
    "--join-token-file",
    o.joinTokenFile,
    "--state-dir",
    o.stateDir,
    "--listen",
    `127.0.0.1:${o.port}`,
    "--addr",
    o.addr,
    "--log-level",
    o.logLevel ?? "info",
    ...(o.extraArgs ?? []),
  ];
  // Without npm's variables: run under `npm run bench`, the bin would think npx started it and
  // watch its parent (docs/agent.md#footprint); the agent is measured as systemd or a container runs it.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("npm_")));
  const child = spawn(o.execPath ?? process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env });
  const agent = { child, pid: child.pid, port: o.port, node: o.node, logLines: 0, tail: [] };
  const count = (d) => {
    const text = String(d);
    for (const line of text.split("\n")) {
      if (!line) continue;
      agent.logLines++;
      agent.tail.push(line);
      if (agent.tail.length > 20) agent.tail.shift();
    }
  };
  child.stdout.on("data", count);
  child.stderr.on("data", count);
  agent.base = `http://127.0.0.1:${o.port}`;
  agent.stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", resolve);
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
    });
  return agent;
}

export async function waitHealthy(agent, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${agent.base}/healthz`);
      // Only this agent's answer counts: another process on the port must not pass for it.
      if (res.status === 200 && agent.child.exitCode === null) return;
    } catch {}
    if (agent.child.exitCode !== null) throw new Error(`agent ${agent.node} exited: ${agent.tail.join("\n")}`);
    if (Date.now() > deadline) throw new Error(`agent ${agent.node} not healthy after ${timeoutMs} ms: ${agent.tail.join("\n")}`);
    await sleep(200);
  }
}

/** The agent's /metrics: total directory requests, the transport gauge if it reports one, watch messages, memory. */
export async function agentMetrics(agent) {
  const text = await (await fetch(`${agent.base}/metrics`)).text();
  let requests = 0;
  const byKind = {};
  for (const m of text.matchAll(/^peerdir_agent_requests_total\{([^}]*)\}\s+(\S+)$/gm)) {
    requests += Number(m[2]);
    const request = /request="([^"]+)"/.exec(m[1])?.[1] ?? "?";
    byKind[request] = (byKind[request] ?? 0) + Number(m[2]);
  }
  const transport = /^peerdir_agent_transport\{[^}]*transport="([^"]+)"[^}]*\}\s+1\s*$/m.exec(text)?.[1] ?? null;
  const watchMessages = {};
  for (const m of text.matchAll(/^peerdir_agent_watch_messages_total\{type="([^"]+)"\}\s+(\S+)$/gm)) watchMessages[m[1]] = Number(m[2]);
  const peers = Number(/^peerdir_agent_peers\s+(\S+)$/m.exec(text)?.[1] ?? NaN);
  const memory = {};
  for (const m of text.matchAll(/^peerdir_agent_memory_bytes\{kind="([^"]+)"\}\s+(\S+)$/gm)) memory[m[1]] = Number(m[2]);
  const consumerLooping = Number(/^peerdir_agent_consumer_looping\s+(\S+)$/m.exec(text)?.[1] ?? NaN);
  return { requests, byKind, transport, peers, watchMessages, memory, consumerLooping, text };
}
