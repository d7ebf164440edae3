// The import rule between the rooms of src/ (scripts/check-rooms.mjs): the tree keeps it, and a
// forbidden import is caught, however deep the importing file sits.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain script without type declarations
import { checkRooms, violationsIn } from "../../scripts/check-rooms.mjs";

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
