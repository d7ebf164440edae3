// The README's walkthrough, run verbatim with bash, curl and jq against the real Worker: if the
// docs drift from what main does, this fails. Only the address and the .dev.vars location differ
// from a user's run (a free port, a temporary folder).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningDirectory, startDirectory } from "../support/directory.js";

function walkthrough(): string {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.split("## Walkthrough")[1];
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error("README.md has no sh block under ## Walkthrough");
  return block;
}

describe("README walkthrough", () => {
  let directory: RunningDirectory;
  beforeAll(async () => {
    directory = await startDirectory({ adminToken: "readme-walkthrough-admin-token" });
  });
  afterAll(() => directory.stop());

  it("works verbatim, and again on a second run", () => {
    const cwd = mkdtempSync(join(tmpdir(), "peerdir-readme-"));
    writeFileSync(join(cwd, ".dev.vars"), `ADMIN_TOKEN=${directory.adminToken}\n`);
    const script = walkthrough().replaceAll("http://127.0.0.1:8787", directory.url);
    for (let run = 1; run <= 2; run++) {
      const output = execFileSync("bash", ["-euo", "pipefail", "-c", script], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      expect(output).toMatch(/HTTP\/1\.1 200 OK/);
      expect(output).toMatch(/ETag: "3"/);
      expect(output).toContain('{"version":3,"peers":[{"id":"node-b","addrs":["/ip4/127.0.0.2/tcp/5001"],"labels":{}}]}');
      expect(output).toMatch(/"version": 4,\s+"peers": \[\]/);
    }
  });
});

describe("README first screen", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const firstScreen = readme.split("\n").slice(0, 25).join("\n");

  it("says who can use peerdir today, and the way in for k3s and RKE2 users", () => {
    expect(firstScreen).toMatch(/Who can use it today/);
    expect(firstScreen).toMatch(/spegel[\s\S]*standalone/);
    expect(firstScreen).toMatch(/k3s and RKE2[\s\S]*no hook for an external source/);
    expect(firstScreen).toMatch(/embedded-registry[\s\S]*run standalone spegel/);
  });

  it("says peerdir runs on Cloudflare or self-hosted, each with one link", () => {
    expect(firstScreen).toMatch(/runs on Cloudflare \(\[docs\/deploy\.md\]\(docs\/deploy\.md\)\) or self-hosted[^\n]*\n[^\n]*\(docs\/deploy\.md#self-hosted\)/);
  });

  it("states no test count that could go stale", () => {
    expect(readme).not.toMatch(/\b\d[\d,]* tests\b/);
  });
});
