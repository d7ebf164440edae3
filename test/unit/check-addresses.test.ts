// The loopback-only rule `npm run lint` applies to the end-to-end tests, the benchmarks, the
// scripts, the README and the walkthrough docs (scripts/check-addresses.mjs).
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain-JS script without declarations
import { addressViolations, checkTree } from "../../scripts/check-addresses.mjs";

const check = addressViolations as (file: string, text: string, runsLocally: boolean) => string[];

describe("check-addresses", () => {
  it("rejects each private range in docs and code alike", () => {
    for (const addr of ["/ip4/10.0.0.1/tcp/5001", "/ip4/172.16.0.1/tcp/5001", "/ip4/172.31.255.1/tcp/1", "/ip4/192.168.1.2/tcp/5001"]) {
      expect(check("README.md", `-d '{"addrs":["${addr}"]}'`, false)).toHaveLength(1);
      expect(check("bench/x.mjs", `const a = "${addr}";`, true)).toHaveLength(1);
    }
    // A template that builds one is caught by its prefix.
    expect(check("bench/lib/directory.mjs", "const base = `/ip4/10.$" + "{a}.$" + "{b}/tcp/5001`;", true)).toHaveLength(1);
  });

  it("names the file and line", () => {
    expect(check("test/e2e/x.test.ts", 'one\n"/ip4/192.168.0.9/tcp/1"', true)).toEqual([
      "test/e2e/x.test.ts:2: /ip4/192.168.0.9 is a private-range address; advertise 127.0.0.0/8 here",
    ]);
  });

  it("accepts loopback, and addresses next to the private ranges in docs", () => {
    expect(check("test/e2e/x.test.ts", '"/ip4/127.0.0.1/tcp/5001", `/ip4/127.1.0.$' + '{i}/tcp/1`, "/dns4/localhost/tcp/1"', true)).toEqual([]);
    expect(check("docs/agent.md", "/ip4/172.15.0.1/tcp/1 /ip4/172.32.0.1/tcp/1 /ip4/192.0.2.10/tcp/5001 /ip4/11.0.0.1/tcp/1", false)).toEqual([]);
  });

  it("in code that runs here, rejects every address beyond loopback", () => {
    expect(check("bench/x.mjs", '"/ip4/192.0.2.10/tcp/5001"', true)).toHaveLength(1);
    expect(check("test/e2e/x.test.ts", '"/ip4/8.8.8.8/tcp/53"', true)).toHaveLength(1);
    expect(check("test/e2e/x.test.ts", '"/dns4/seed.example/tcp/4001"', true)).toHaveLength(1);
  });

  it("passes on this tree", () => {
    expect(checkTree(fileURLToPath(new URL("../..", import.meta.url)))).toEqual([]);
  });
});
