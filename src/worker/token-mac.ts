/**
 * Minting and verifying the MAC of join tokens and node credentials (format: contract/tokens.ts).
 *
 * HMAC-SHA-256 under the Worker secret TOKEN_KEY. During a key rotation TOKEN_KEY_PREVIOUS is
 * also accepted, never used to mint. Keys are imported once per isolate and secret value; the MAC
 * is checked by WebCrypto's verify, which compares in constant time. The MAC keeps strangers out
 * of the Durable Objects; it grants nothing by itself: the object still checks the token's stored
 * hash, so revoked, replaced and blocked tokens stay refused.
 */
import { type AdminClaims, adminTokenPayload, type TokenClaims, tokenPayload } from "../contract/tokens.js";
import { base64url, newTokenId, randomSecret, sha256Hex } from "./secrets.js";

/** The bindings this module reads. */
export interface TokenKeys {
  TOKEN_KEY?: string;
  TOKEN_KEY_PREVIOUS?: string;
}

/** A key shorter than this is refused: `npm start` generates 43 characters (256 bits). */
export const MIN_TOKEN_KEY_LENGTH = 32;

/** TOKEN_KEY is missing or too short: a deployment error, never the client's. */
export class TokenKeyError extends Error {
  constructor() {
    super(`the directory's TOKEN_KEY secret is missing or shorter than ${MIN_TOKEN_KEY_LENGTH} characters: set one with \`npm run wrangler -- secret put TOKEN_KEY\``);
    this.name = "TokenKeyError";
  }
}

const encoder = new TextEncoder();
/** An imported HMAC key (spelled so that both the Workers and the Node typings accept it). */
type HmacKey = ReturnType<typeof crypto.subtle.importKey>;
const imported = new Map<string, HmacKey>();

function hmacKey(secret: string): HmacKey {
  const known = imported.get(secret);
  if (known) return known;
  if (imported.size >= 4) imported.clear(); // keys rotate rarely; never let this grow
  const key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  imported.set(secret, key);
  return key;
}

function currentKey(keys: TokenKeys): string {
  if (!keys.TOKEN_KEY || keys.TOKEN_KEY.length < MIN_TOKEN_KEY_LENGTH) throw new TokenKeyError();
  return keys.TOKEN_KEY;
}

/** A new token for `claims`, with a fresh random secret, MACed under TOKEN_KEY. */
export function mintToken(claims: TokenClaims, keys: TokenKeys): Promise<string> {
  return signed(tokenPayload(claims, randomSecret()), keys);
}

/** A new named admin token for `claims`, MACed under TOKEN_KEY like the node tokens. */
/** A new join token of `cluster`: its id and the hash a cluster keeps, and the secret shown once. */
export async function mintJoinToken(cluster: string, keys: TokenKeys): Promise<{ token: { id: string; hash: string }; secret: string }> {
  const id = newTokenId();
  const secret = await mintToken({ kind: "join", cluster, subject: id }, keys);
  return { token: { id, hash: await sha256Hex(secret) }, secret };
}

/** A node's credential in `cluster`, and the hash the cluster keeps of it. */
export async function mintNodeCredential(cluster: string, node: string, keys: TokenKeys): Promise<{ credential: string; hash: string }> {
  const credential = await mintToken({ kind: "node", cluster, subject: node }, keys);
  return { credential, hash: await sha256Hex(credential) };
}

export function mintAdminToken(claims: AdminClaims, keys: TokenKeys): Promise<string> {
  return signed(adminTokenPayload(claims, randomSecret()), keys);
}

async function signed(payload: string, keys: TokenKeys): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(currentKey(keys)), encoder.encode(payload));
  return `${payload}.${base64url(new Uint8Array(mac))}`;
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Whether the token's MAC is right under TOKEN_KEY, or under TOKEN_KEY_PREVIOUS when set. */
export async function verifyToken(token: { payload: string; mac: string }, keys: TokenKeys): Promise<boolean> {
  const mac = fromBase64url(token.mac);
  const payload = encoder.encode(token.payload);
  if (await crypto.subtle.verify("HMAC", await hmacKey(currentKey(keys)), mac, payload)) return true;
  const previous = keys.TOKEN_KEY_PREVIOUS;
  if (!previous || previous.length < MIN_TOKEN_KEY_LENGTH) return false;
  return crypto.subtle.verify("HMAC", await hmacKey(previous), mac, payload);
}
