/**
 * The edge's list of revoked tokens: per isolate, a copy of the catalog's revocation log
 * (storage/catalog-tokens.ts), brought up to date at most once per REVOCATION_SYNC_SECONDS
 * (default 60 s) and only when a token that passed its MAC is checked. Strangers therefore never
 * cause a catalog call, and a revoked admin token or node credential is refused by every isolate
 * within one window, without its cluster's object being asked.
 *
 * Why the catalog object and not Workers KV: KV is eventually consistent (up to 60 s and more
 * between locations) and is not there in the same way under `npm start` or self-hosted workerd;
 * the catalog is a Durable Object every deployment already has, strongly consistent, and one
 * small RPC per isolate per minute is nothing to it. An isolate that cannot reach it keeps its
 * last copy: node tokens are still checked by their cluster's object, and named admin tokens are
 * refused (503) rather than trusted on a stale list.
 */
import { CATALOG_NAME } from "./objects/cluster-catalog.js";

export const DEFAULT_REVOCATION_SYNC_SECONDS = 60;

/** Key → when the entry may be forgotten (the token would be refused anyway by then, or long unused). */
const entries = new Map<string, number>();
let log = "";
let seq = 0;
let syncedAt = Number.NEGATIVE_INFINITY;
let syncing: Promise<void> | null = null;
/** After a failed update, the next try waits this long: node requests must not hammer a struggling catalog. */
export const SYNC_RETRY_MS = 5_000;
let retryAt = 0;

/** The window: the REVOCATION_SYNC_SECONDS binding (tests shorten it), else 60 s. */
export function syncWindowMs(env: Pick<Env, "REVOCATION_SYNC_SECONDS">): number {
  const seconds = Number(env.REVOCATION_SYNC_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_REVOCATION_SYNC_SECONDS * 1000;
}

/** A slow catalog must not hold requests up: past this, an update counts as failed (tried again after SYNC_RETRY_MS). */
export const SYNC_TIMEOUT_MS = 2_000;

function withDeadline<T>(pending: Promise<T>, ms: number): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  const deadline = new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(new Error(`the catalog did not answer within ${ms} ms`)), { once: true }));
  return Promise.race([pending, deadline]);
}

async function sync(env: Env): Promise<void> {
  const batch = await withDeadline(env.CATALOG.getByName(CATALOG_NAME).revocationsSince(log, seq), SYNC_TIMEOUT_MS);
  if (batch.log !== log) entries.clear();
  log = batch.log;
  seq = batch.seq;
  for (const { key, expiresAt } of batch.entries) entries.set(key, expiresAt);
  const now = Date.now();
  for (const [key, expiresAt] of entries) if (expiresAt <= now) entries.delete(key);
}

/**
 * Whether `key` (`admin:<id>` or a node token's SHA-256) is revoked, by a copy at most one
 * window old. Throws when the copy is stale and the catalog cannot be reached, unless
 * `staleIsFine` (then the stale copy answers).
 */
export async function isRevoked(key: string, env: Env, { staleIsFine = false } = {}): Promise<boolean> {
  const now = Date.now();
  if (now - syncedAt >= syncWindowMs(env)) {
    if (now < retryAt) {
      if (!staleIsFine) throw new Error("the revocation list could not be updated a moment ago; not retrying yet");
    } else {
      syncing ??= sync(env)
        .then(() => {
          syncedAt = now;
        })
        .finally(() => {
          syncing = null;
        });
      try {
        await syncing;
      } catch (err) {
        retryAt = Date.now() + SYNC_RETRY_MS;
        if (!staleIsFine) throw err;
      }
    }
  }
  const expiresAt = entries.get(key);
  return expiresAt !== undefined && expiresAt > now;
}

/** Records a revocation this isolate made itself: effective here at once, elsewhere within the window. */
export function noteRevoked(key: string, expiresAt: number): void {
  entries.set(key, expiresAt);
}

/** How many entries this isolate holds (for tests). */
export function revokedCount(): number {
  return entries.size;
}

/**
 * Puts node tokens a cluster stopped honouring on the catalog's revocation list, so every Worker
 * isolate refuses them within a window without waking the cluster's object. If that fails, the
 * object still refuses them itself.
 */
export async function reportRetired(env: Env, hashes: string[]): Promise<void> {
  try {
    await env.CATALOG.getByName(CATALOG_NAME).revokeNodeTokens(hashes);
  } catch (err) {
    console.error(`ClusterDirectory could not list ${hashes.length} retired token(s) for the edge (it still refuses them):`, err);
  }
}
