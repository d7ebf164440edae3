/**
 * Starts and stops a private etcd (Debian's etcd-server, 3.4+) on 127.0.0.1 with a temporary
 * data dir. Clients use its v3 JSON gateway (HTTP/1.1 + JSON) on the client URL.
 */
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.mjs";
import { sleep } from "./proc.mjs";

export function findEtcd() {
  for (const p of [process.env.ETCD_BIN, "/usr/bin/etcd", "/usr/local/bin/etcd"]) if (p && existsSync(p)) return p;
  try {
    return execFileSync("sh", ["-c", "command -v etcd"], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

export function etcdVersion(bin) {
  try {
    return /etcd Version:\s*(\S+)/.exec(execFileSync(bin, ["--version"], { encoding: "utf8" }))?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

export async function startEtcd(bin) {
  const dataDir = mkdtempSync(join(tmpdir(), "peerdir-bench-etcd-"));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const url = `http://127.0.0.1:${clientPort}`;
  const child = spawn(
    bin,
    [
      "--name",
      "bench",
      "--data-dir",
      dataDir,
      "--listen-client-urls",
      url,
      "--advertise-client-urls",
      url,
      "--listen-peer-urls",
      `http://127.0.0.1:${peerPort}`,
      "--initial-advertise-peer-urls",
      `http://127.0.0.1:${peerPort}`,
      "--initial-cluster",
      `bench=http://127.0.0.1:${peerPort}`,
      "--log-level",
      "error",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {}
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`etcd did not start: ${stderr}`);
    await sleep(100);
  }
  return {
    url,
    pid: child.pid,
    async call(path, body) {
      const res = await fetch(`${url}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`etcd ${path}: HTTP ${res.status} ${await res.text()}`);
      return res.json();
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const b64 = (s) => Buffer.from(s).toString("base64");

/** The exclusive end of a prefix range, as etcd clients compute it. */
export function prefixEnd(prefix) {
  const buf = Buffer.from(prefix);
  buf[buf.length - 1]++;
  return buf.toString("base64");
}
