// `npm install` on npm 11 runs no dependency's install script unless package.json's allowScripts
// approves it, and lists the ones it skipped as "not yet covered by allowScripts". The project
// needs none of them (README, Quick start), so each is recorded as denied: a new user is asked
// nothing, and a new dependency with an install script fails here until someone decides.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (path: string) => JSON.parse(readFileSync(new URL(`../../${path}`, import.meta.url), "utf8"));

describe("dependency install scripts", () => {
  const allowScripts = (read("package.json").allowScripts ?? {}) as Record<string, boolean>;
  const lock = read("package-lock.json") as { packages: Record<string, { hasInstallScript?: boolean }> };
  const withScripts = [...new Set(Object.entries(lock.packages).flatMap(([path, entry]) => (entry.hasInstallScript && path ? [path.split("node_modules/").at(-1)!] : [])))].sort();

  it("are each decided in package.json's allowScripts", () => {
    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => !(name in allowScripts))).toEqual([]);
  });

  it("are all denied: the project relies on none of them", () => {
    expect(Object.entries(allowScripts).filter(([, allowed]) => allowed !== false)).toEqual([]);
    expect(Object.keys(allowScripts).sort()).toEqual(withScripts);
  });
});
