/**
 * What the agent keeps on disk: its node credential and the last-known-good peer list.
 *
 * Both live under `<state dir>/<cluster>/<node>/`, so several agents (or a changed --node)
 * sharing one state dir never overwrite each other's credential. The credential file is mode
 * 0600 in a 0700 directory: it is the node's only proof of identity. Every write is atomic
 * (temp file, fsync, rename, fsync of the directory), so a crash or power loss leaves either the
 * old file or the new one, never a torn credential that would force a re-registration.
 */
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { crypto } from "./builtins.js";
import type { Peer } from "../contract/schemas.js";
import { isPeer } from "./feed/transport.js";

/** Writes `data` to `path` atomically with exactly `mode`; no temp file survives a failure. */
export async function writeFileAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
  try {
    const fh = await open(tmp, "wx", mode);
    try {
      await fh.chmod(mode); // the umask may have narrowed it; callers ask for exact modes
      await fh.writeFile(data, "utf8");
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  // Make the rename itself durable. Not every platform lets a directory be opened or synced.
  try {
    const dh = await open(dir, "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    /* best effort */
  }
}

export interface CachedPeers {
  version: number;
  peers: Peer[];
  /** When these peers were last confirmed by the directory (ISO 8601). */
  syncedAt: string;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** A peer as the agent wrote it: labels always present (the wire may leave them out; the agent fills them in). */
function isCachedPeer(value: unknown): value is Peer {
  return isPeer(value) && value.labels !== undefined;
}

export class StateStore {
  readonly dir: string;

  constructor(stateDir: string, cluster: string, node: string) {
    this.dir = join(stateDir, cluster, node);
  }

  get credentialPath(): string {
    return join(this.dir, "credential.json");
  }

  get peersPath(): string {
    return join(this.dir, "peers.json");
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  async loadCredential(): Promise<string | null> {
    const data = (await readJson(this.credentialPath)) as { credential?: unknown } | undefined;
    return typeof data?.credential === "string" && data.credential !== "" ? data.credential : null;
  }

  async saveCredential(credential: string): Promise<void> {
    const body = { credential, savedAt: new Date().toISOString() };
    await writeFileAtomic(this.credentialPath, `${JSON.stringify(body)}\n`, 0o600);
  }

  async clearCredential(): Promise<void> {
    await unlink(this.credentialPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
  }

  /** The persisted peers, or null when there are none or the file is not ours (a corrupt file is ignored, not fatal). */
  async loadPeers(): Promise<CachedPeers | null> {
    let data: unknown;
    try {
      data = await readJson(this.peersPath);
    } catch {
      return null;
    }
    const c = data as CachedPeers | undefined;
    if (!c || typeof c.version !== "number" || !Array.isArray(c.peers) || !c.peers.every(isCachedPeer)) return null;
    return { version: c.version, peers: c.peers, syncedAt: typeof c.syncedAt === "string" ? c.syncedAt : new Date(0).toISOString() };
  }

  async savePeers(cached: CachedPeers): Promise<void> {
    await writeFileAtomic(this.peersPath, `${JSON.stringify(cached)}\n`, 0o600);
  }
}
