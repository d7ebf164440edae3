/**
 * Per-isolate memory of the node tokens whose MAC this isolate has already verified, so a node's
 * renewals and handout reads after the first cost one map lookup instead of an HMAC verify and
 * a SHA-256 digest.
 *
 * What it remembers is only what the MAC check and hashing would compute again from the same
 * token string: the cluster it names and the SHA-256 the cluster's object looks it up by. It
 * grants nothing: the object still checks that hash, so revoked, replaced and blocked tokens and
 * evicted nodes stay refused. Only tokens that passed the MAC get in, so strangers cannot fill
 * it; it is bounded (least recently used out first). Entries belong to the key set
 * (TOKEN_KEY, TOKEN_KEY_PREVIOUS) they were verified under: when either changes, all are
 * forgotten, so a token of a retired key is refused at once.
 */
import type { ParsedToken } from "../contract/tokens.js";
import { sha256Hex } from "./secrets.js";
import { type TokenKeys, verifyToken } from "./token-mac.js";

/** Tokens remembered per isolate: a few thousand nodes' worth, well under a megabyte. */
export const VERIFIED_TOKENS_LIMIT = 4096;

export interface VerifiedToken {
  cluster: string;
  /** SHA-256 (hex) of the whole token: the object's lookup key. */
  hash: string;
}

const entries = new Map<string, VerifiedToken>();
// The key set the entries were verified under.
let currentKey: string | undefined;
let previousKey: string | undefined;

/** The remembered verification of `token`, or undefined (then verify it: `verifyAndRemember`). */
export function rememberedToken(token: string, keys: TokenKeys): VerifiedToken | undefined {
  if (keys.TOKEN_KEY !== currentKey || keys.TOKEN_KEY_PREVIOUS !== previousKey) {
    entries.clear();
    currentKey = keys.TOKEN_KEY;
    previousKey = keys.TOKEN_KEY_PREVIOUS;
    return undefined;
  }
  const known = entries.get(token);
  if (known !== undefined) {
    // Most recently used last: the first entry in the map is the one to evict.
    entries.delete(token);
    entries.set(token, known);
  }
  return known;
}

/** Verifies the token's MAC (token-mac.ts); if it holds, hashes and remembers it. Null when it does not. */
export async function verifyAndRemember(token: string, parsed: ParsedToken, keys: TokenKeys): Promise<VerifiedToken | null> {
  const { TOKEN_KEY, TOKEN_KEY_PREVIOUS } = keys;
  if (!(await verifyToken(parsed, keys))) return null;
  const verified = { cluster: parsed.cluster, hash: await sha256Hex(token) };
  // Remembered only if the key set did not change while verifying.
  if (TOKEN_KEY === currentKey && TOKEN_KEY_PREVIOUS === previousKey) {
    if (entries.size >= VERIFIED_TOKENS_LIMIT) entries.delete(entries.keys().next().value as string);
    entries.set(token, verified);
  }
  return verified;
}

/** How many tokens are remembered (for tests). */
export function rememberedCount(): number {
  return entries.size;
}
