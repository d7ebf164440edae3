// The layout rules of src/ (scripts/check-rooms.mjs): the tree keeps them; a forbidden import is
// caught however deep the importing file sits, and a file or class past the size limits is caught
// however its fields are written.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain script without type declarations
import { checkRooms, checkSizes, classesIn, lineCount, MAX_FIELDS, MAX_LINES, sizeViolationsIn, violationsIn } from "../../scripts/check-rooms.mjs";

const src = fileURLToPath(new URL("../../src", import.meta.url));

describe("rooms of src/", () => {
  it("the tree imports only along the allowed edges", () => {
    expect(checkRooms(src)).toEqual([]);
  });

  it.each([
    ["agent/feed.ts", "../cluster/leases.js"],
    ["cli/main.ts", "../worker/secrets.js"],
    ["cluster/x/deep.ts", "../../worker/http/app.js"],
    ["contract/schemas.ts", "../cluster/records.js"],
    ["agent/main.ts", "../cli/args.js"],
  ])("%s may not import %s", (file, spec) => {
    const found = violationsIn(src, `${src}/${file}`, `import { x } from "${spec}";\nexport { y } from "./y.js";`);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(spec);
  });

  it.each([
    ["worker/objects/cluster-directory.ts", "../../cluster/cluster-core.js"],
    ["worker/index.ts", "../contract/problem.js"],
    ["agent/main.ts", "../contract/watch.js"],
    ["worker/storage/migrations.ts", "../../../migrations/0001_init.sql"],
  ])("%s may import %s", (file, spec) => {
    expect(violationsIn(src, `${src}/${file}`, `import type { x } from "${spec}";`)).toEqual([]);
  });
});

/** `n` lines of code, each ending in a newline. */
const lines = (n: number) => "export const x = 1;\n".repeat(n);

/** A class declaring `n` fields, one of each way a field is written, then plain ones. */
function classWith(n: number, name = "Wide"): string {
  const ways = ["#hidden = 0;", "shown = 1;", "readonly fixed = 2;", "declare typed: number;", "accessor auto = 3;", "protected guarded?: string;"];
  const fields = Array.from({ length: n }, (_, i) => ways[i] ?? `plain${i}: number = ${i};`);
  return `export class ${name} {\n  ${fields.join("\n  ")}\n  static shared = 0;\n  method(): void {}\n  get value(): number { return 0; }\n}\n`;
}

describe("size limits of src/", () => {
  it("the tree keeps them", () => {
    expect(checkSizes(src)).toEqual([]);
  });

  it("counts lines as wc -l does", () => {
    expect([lineCount(""), lineCount("a"), lineCount("a\n"), lineCount("a\nb"), lineCount("a\n\n")]).toEqual([0, 1, 1, 2, 2]);
  });

  it(`a file over ${MAX_LINES} lines fails, whatever it holds; one at the limit passes`, () => {
    const found = sizeViolationsIn({
      "/fixture/src/long.ts": lines(MAX_LINES + 1),
      "/fixture/src/style.css": "a {}\n".repeat(MAX_LINES + 1),
      "/fixture/src/ok.ts": lines(MAX_LINES),
    });
    expect(found).toHaveLength(2);
    expect(found[0]).toContain(`long.ts has ${MAX_LINES + 1} lines`);
    expect(found[1]).toContain("style.css");
  });

  it(`a class with more than ${MAX_FIELDS} fields fails, however they are declared; static members and methods are not fields`, () => {
    const found = sizeViolationsIn({ "/fixture/src/wide.ts": classWith(MAX_FIELDS + 1), "/fixture/src/fits.ts": classWith(MAX_FIELDS, "Fits") });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`wide\\.ts:1 class Wide has ${MAX_FIELDS + 1} fields`));
    expect(found[0]).toContain("#hidden, shown, fixed, typed, auto, guarded");
  });

  it("constructor parameter properties are fields; plain parameters are not", () => {
    const text = "class Store {\n  a = 1;\n  constructor(private readonly db: object, public name: string, readonly clock: number, plain: number) {}\n}\n";
    expect(classesIn({ "/fixture/src/store.ts": text })).toEqual([{ file: "/fixture/src/store.ts", line: 1, name: "Store", fields: ["a", "db", "name", "clock"] }]);
  });

  it("finds nested and anonymous classes, and JavaScript ones; text that only looks like a class is not one", () => {
    const ts = `// class Commented { a = 1; }\nconst s = "class Quoted { b = 2; }";\nexport class Outer {\n  inner = class {\n    deep = 1;\n  };\n}\n`;
    const found = classesIn({ "/fixture/src/nested.ts": ts, "/fixture/src/plain.mjs": "export class Js {\n  #x = 1;\n  y;\n}\n" });
    expect(found.map(({ name, line, fields }: { name: string; line: number; fields: string[] }) => [name, line, fields])).toEqual([
      ["Outer", 3, ["inner"]],
      ["(anonymous)", 4, ["deep"]],
      ["Js", 1, ["#x", "y"]],
    ]);
  });

  it("checks a whole directory: every file's lines, every code file's classes", () => {
    const dir = mkdtempSync(join(tmpdir(), "check-rooms-"));
    try {
      mkdirSync(join(dir, "worker"));
      writeFileSync(join(dir, "worker", "big.ts"), classWith(MAX_FIELDS + 2) + lines(MAX_LINES));
      writeFileSync(join(dir, "worker", "small.ts"), classWith(2));
      const found = checkSizes(dir);
      expect(found).toHaveLength(2);
      expect(found[0]).toContain("big.ts has");
      expect(found[1]).toContain(`class Wide has ${MAX_FIELDS + 2} fields`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
