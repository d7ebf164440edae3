/**
 * Where the CLI connects and with which admin token: `--url` over $PEERDIR_URL, `--token-file`
 * over $PEERDIR_ADMIN_TOKEN. There is deliberately no `--token` flag: a secret on the command
 * line ends up in shell history and `ps`. No message here ever includes the token.
 */
import { ConfigError, type GlobalFlags } from "./args.js";

export interface Connection {
  /** Base URL without a trailing slash; may carry a path prefix (a proxy mount). */
  url: string;
  token: string;
}

export function resolveConnection(flags: GlobalFlags, env: Record<string, string | undefined>, readFile: (path: string) => string): Connection {
  const rawUrl = flags.url ?? env.PEERDIR_URL;
  if (!rawUrl) throw new ConfigError("no directory URL: set PEERDIR_URL or pass --url, e.g. --url http://127.0.0.1:8787");
  let parsed: URL;
  try {
    parsed = new URL(rawUrl);
  } catch {
    throw new ConfigError(`${flags.url ? "--url" : "PEERDIR_URL"} is not a URL: ${JSON.stringify(rawUrl)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new ConfigError(`the directory URL must be http:// or https://, got ${JSON.stringify(rawUrl)}`);
  if (parsed.search || parsed.hash) throw new ConfigError(`the directory URL must not have a query or fragment: ${JSON.stringify(rawUrl)}`);
  const url = parsed.toString().replace(/\/+$/, "");

  let token: string;
  let source: string;
  if (flags.tokenFile !== undefined) {
    source = `the token file ${flags.tokenFile}`;
    try {
      token = readFile(flags.tokenFile).trim();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ConfigError(`cannot read --token-file ${flags.tokenFile}${code ? ` (${code})` : ""}`);
    }
  } else if (env.PEERDIR_ADMIN_TOKEN !== undefined) {
    source = "PEERDIR_ADMIN_TOKEN";
    token = env.PEERDIR_ADMIN_TOKEN.trim();
  } else {
    throw new ConfigError("no admin token: set PEERDIR_ADMIN_TOKEN or pass --token-file FILE");
  }
  if (token === "") throw new ConfigError(`${source} is empty`);
  // Header-safe and single-token; a pasted value with a newline in the middle would otherwise fail obscurely in fetch.
  if (!/^[\x21-\x7e]+$/.test(token)) throw new ConfigError(`${source} does not hold a token: expected one word of printable ASCII`);
  return { url, token };
}
