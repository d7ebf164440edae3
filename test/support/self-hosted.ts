/**
 * The self-hosted directory for tests, as operators run it: the release tarball unpacked, its
 * bin/peerdir-directory started with a PATH that holds a POSIX shell and the few coreutils the
 * launcher uses (no node, no npm), TLS from a private CA made here with openssl, and an https
 * client that trusts that CA.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";

/** The commands bin/peerdir-directory runs (printf, kill, test, read and wait are shell builtins). */
export const LAUNCHER_COMMANDS = ["sh", "readlink", "dirname", "cat", "stat", "head", "mkdir", "rm", "mktemp", "ln", "mkfifo", "id", "sleep"];

/** A directory of symlinks to `commands` only, for a PATH without node or npm. */
export function minimalPath(dir: string, commands = LAUNCHER_COMMANDS): string {
  mkdirSync(dir, { recursive: true });
  for (const command of commands) {
    const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).stdout.trim();
    if (!found) throw new Error(`${command} is not installed`);
    symlinkSync(found, join(dir, command));
  }
  return dir;
}

/** A private CA and a certificate for 127.0.0.1 signed by it (PEM files in `dir`). */
export function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", f("ca.key"), "-out", f("ca.pem"), "-subj", "/CN=peerdir test CA", "-days", "2");
  openssl("req", ...ec, "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=127.0.0.1");
  writeFileSync(f("san.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl("x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("server.pem"), "-days", "2", "-extfile", f("san.ext"));
  return { ca: f("ca.pem"), cert: f("server.pem"), key: f("server.key") };
}

export interface LauncherOptions {
  /** The unpacked tarball's top directory. */
  home: string;
  listen: string;
  data: string;
  pathDir: string;
  tmp: string;
  tls?: { cert: string; key: string };
  secrets: Record<string, string>;
  /** More launcher options, e.g. --secrets-file. */
  extra?: string[];
}

export interface RunningLauncher {
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** SIGKILL to the launcher and workerd (its process group), as a power cut or the OOM killer. */
  kill(): Promise<void>;
  /** SIGTERM to the launcher; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** Starts bin/peerdir-directory; resolves once it logs its ready line. */
export async function startLauncher(o: LauncherOptions): Promise<RunningLauncher> {
  const args = ["--listen", o.listen, "--data", o.data, ...(o.tls ? ["--tls-cert", o.tls.cert, "--tls-key", o.tls.key] : []), ...(o.extra ?? [])];
  const child = spawn(join(o.home, "bin/peerdir-directory"), args, {
    env: { PATH: o.pathDir, TMPDIR: o.tmp, ...o.secrets },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const started = Date.now();
  let url: string | undefined;
  while (url === undefined) {
    url = /peerdir-directory: ready at (\S+)/.exec(output)?.[1];
    if (child.exitCode !== null) throw new Error(`peerdir-directory exited with ${child.exitCode}: ${output}`);
    if (Date.now() - started > 20_000) throw new Error(`peerdir-directory was not ready within 20 s: ${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url,
    child,
    output: () => output,
    exited,
    async kill() {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // the group is gone already
      }
      await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** One JSON request over https to a directory whose certificate `ca` signed. */
export function httpsJson(ca: string, /* PEM */ url: string, method: string, token: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(url, { method, ca, headers: { Authorization: `Bearer ${token}`, ...(text ? { "Content-Type": "application/json" } : {}) }, timeout: 10_000 }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (data += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data ? JSON.parse(data) : null }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
    req.end(text);
  });
}
