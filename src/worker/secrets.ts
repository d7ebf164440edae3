/**
 * The random parts and ids of the tokens the directory issues, and hashing (the format, and the
 * MAC that makes a token verifiable at the edge: contract/tokens.ts, token-mac.ts).
 *
 * Only SHA-256 hashes are stored. Lookups go by hash: an attacker cannot steer the hash of a
 * guess, so a map lookup on it leaks nothing useful about stored secrets.
 */
export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** 256 random bits, base64url (43 characters). */
export function randomSecret(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** A short, non-secret id for listing and revoking tokens, in the JOIN_TOKEN_ID grammar. */
export function newTokenId(): string {
  for (;;) {
    const id = base64url(crypto.getRandomValues(new Uint8Array(9)));
    if (!id.startsWith("-")) return id;
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const encoder = new TextEncoder();

/** Hex SHA-256. Runs on every node request (the token's lookup key), so it avoids per-byte formatting. */
export async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
  let hex = "";
  for (let i = 0; i < digest.length; i++) hex += HEX[digest[i]];
  return hex;
}
