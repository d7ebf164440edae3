// docs/cli.md's walkthrough, run verbatim with bash, curl and jq against the real Worker (a file
// of its own, so it runs alongside the rest of the CLI's tests in test/e2e/cli.test.ts).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningDirectory, startDirectory } from "../support/directory.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

let dir: RunningDirectory;
beforeAll(async () => {
  dir = await startDirectory();
});
afterAll(async () => {
  await dir?.stop();
});

describe("docs/cli.md walkthrough", () => {
  function walkthrough(): string {
    const doc = readFileSync(join(root, "docs/cli.md"), "utf8");
    const block = /```sh\n([\s\S]*?)```/.exec(doc.split("## Walkthrough")[1])?.[1];
    if (!block) throw new Error("docs/cli.md has no sh block under ## Walkthrough");
    return block;
  }

  // Verbatim with bash, curl and jq; only the address, the .dev.vars location and how `npx peerdir`
  // finds the bin differ from a user's run: an `npx` shim on PATH runs bin/peerdir.mjs directly,
  // several times faster per call than npm's own (test/e2e/new-user.test.ts runs the real npx).
  // About fifty CLI processes one after another: minutes on a busy machine.
  it("works verbatim, twice", { timeout: 240_000 }, () => {
    const cwd = mkdtempSync(join(tmpdir(), "peerdir-cli-doc-"));
    writeFileSync(join(cwd, ".dev.vars"), `ADMIN_TOKEN=${dir.adminToken}\n`);
    const bin = join(cwd, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "npx"), `#!/bin/sh\n[ "$1" = peerdir ] || exit 97\nshift\nexec "${process.execPath}" "${join(root, "bin/peerdir.mjs")}" "$@"\n`, { mode: 0o755 });
    const script = walkthrough().replaceAll("http://127.0.0.1:8787", dir.url);
    const env = { PATH: `${bin}:${process.env.PATH}`, HOME: cwd };
    const output = execFileSync("bash", ["-euo", "pipefail", "-c", script], { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(output).toMatch(/^Created cluster lab at \S+\.\nJoin token \(shown only this once; the directory keeps only its hash\):\n {2}pdj_/);
    expect(output).toMatch(/^default-ttl +120s$/m);
    expect(output).toMatch(/^node-3 +active +yes +unknown +- +lease +\/ip4\/127\.0\.0\.3\/tcp\/5001 +zone=z3 /m);
    expect(output).toContain("node-1 would receive 1 peer");
    expect(output).toContain("node-1 would receive 2 peers");
    // A blocked node shows no lease, and says why it is handed out to no one.
    expect(output).toMatch(/^node-3 +blocked +- +- +- +- +\/ip4\/127\.0\.0\.3\/tcp\/5001 /m);
    expect(output).toContain("node-3: blocked (compromised host): no lease, handed out to no one; its requests get 403.");
    expect(output).toMatch(/^13\n/m);
    expect(output.trimEnd().endsWith("Deleted cluster lab.")).toBe(true);
    // The token goes into the git-ignored .tmp/, not the checkout's root.
    expect(existsSync(join(cwd, ".tmp/lab.join-token"))).toBe(true);
    expect(readdirSync(cwd).sort()).toEqual([".dev.vars", ".tmp", "bin"]);
    expect(execFileSync("bash", ["-euo", "pipefail", "-c", script], { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })).toContain("Deleted cluster lab.");
  });
});
