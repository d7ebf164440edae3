// Where the `peerdir` CLI connects and with which token: flags over the environment, and every
// mistake reported without the token in the message.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/cli/args.js";
import { resolveConnection } from "../../src/cli/connection.js";

const SECRET = "s3cret-admin-token";
const noFile = (path: string): string => {
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
};
const file = (content: string) => (path: string) => {
  if (path !== "/etc/peerdir/admin-token") throw new Error(`unexpected path ${path}`);
  return content;
};

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toContain(SECRET);
    return (err as Error).message;
  }
  throw new Error("expected a configuration error");
}

describe("resolveConnection", () => {
  it("reads PEERDIR_URL and PEERDIR_ADMIN_TOKEN, dropping a trailing slash", () => {
    expect(resolveConnection({ json: false }, { PEERDIR_URL: "http://127.0.0.1:8787/", PEERDIR_ADMIN_TOKEN: `${SECRET}\n` }, noFile)).toEqual({
      url: "http://127.0.0.1:8787",
      token: SECRET,
    });
  });

  it("lets --url and --token-file override the environment", () => {
    const env = { PEERDIR_URL: "http://env:1", PEERDIR_ADMIN_TOKEN: "env-token" };
    expect(resolveConnection({ json: false, url: "https://peerdir.example.com/prefix/", tokenFile: "/etc/peerdir/admin-token" }, env, file(`  ${SECRET}\n`))).toEqual({
      url: "https://peerdir.example.com/prefix",
      token: SECRET,
    });
  });

  it("says what is missing", () => {
    expect(configError(() => resolveConnection({ json: false }, { PEERDIR_ADMIN_TOKEN: SECRET }, noFile))).toMatch(/^no directory URL: set PEERDIR_URL or pass --url/);
    expect(configError(() => resolveConnection({ json: false }, { PEERDIR_URL: "http://d:1" }, noFile))).toBe("no admin token: set PEERDIR_ADMIN_TOKEN or pass --token-file FILE");
    expect(configError(() => resolveConnection({ json: false }, { PEERDIR_URL: "http://d:1", PEERDIR_ADMIN_TOKEN: "  " }, noFile))).toBe("PEERDIR_ADMIN_TOKEN is empty");
  });

  it("refuses URLs that are not plain http(s) base URLs", () => {
    const env = { PEERDIR_ADMIN_TOKEN: SECRET };
    expect(configError(() => resolveConnection({ json: false, url: "not a url" }, env, noFile))).toBe('--url is not a URL: "not a url"');
    expect(configError(() => resolveConnection({ json: false }, { ...env, PEERDIR_URL: "ftp://d" }, noFile))).toMatch(/must be http:\/\/ or https:\/\//);
    expect(configError(() => resolveConnection({ json: false, url: "http://d/?x=1" }, env, noFile))).toMatch(/must not have a query/);
  });

  it("reports an unreadable or unusable token file without echoing the token", () => {
    const flags = { json: false, url: "http://d:1", tokenFile: "/etc/peerdir/admin-token" };
    expect(configError(() => resolveConnection({ ...flags, tokenFile: "/missing" }, {}, noFile))).toBe("cannot read --token-file /missing (ENOENT)");
    expect(configError(() => resolveConnection(flags, {}, file(`${SECRET} ${SECRET}`)))).toBe(
      "the token file /etc/peerdir/admin-token does not hold a token: expected one word of printable ASCII",
    );
    expect(configError(() => resolveConnection(flags, {}, file("\n")))).toBe("the token file /etc/peerdir/admin-token is empty");
  });
});
