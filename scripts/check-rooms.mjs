#!/usr/bin/env node
// The rules of src/'s layout that a formatter cannot see. Run by `npm run lint`;
// test/unit/rooms.test.ts checks them too.
// - The import rule between the rooms: each room imports only from the rooms listed for it, so
//   the agent and the CLI stay free of the Worker's runtime and dependencies, and the cluster's
//   state machine stays runtime-free.
// - The size limits: no file over MAX_LINES lines, no class with more than MAX_FIELDS fields, so
//   a module keeps one concern and an object one job. Classes are found by TypeScript's own parser
//   (the `typescript/unstable/*` API of TypeScript 7, which runs the bundled compiler as a child
//   process), not by pattern: fields in comments, strings or nested classes cannot mislead it.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, extname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SyntaxKind } from "typescript/unstable/ast";
import { createVirtualFileSystem } from "typescript/unstable/fs";
import { API } from "typescript/unstable/sync";

/** Which rooms each room may import from (its own always included). */
export const ALLOWED = {
  contract: [],
  cluster: ["contract"],
  worker: ["cluster", "contract"],
  agent: ["contract"],
  cli: ["contract"],
  // The operator console runs in the browser: the wire contract's types only.
  console: ["contract"],
};

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g;

/** The room of a path relative to src/ (its first segment), or null outside any room. */
function roomOf(srcRelative) {
  const [first, ...rest] = srcRelative.split("/");
  return rest.length > 0 && first in ALLOWED ? first : null;
}

/** The rule's violations in one file's text: `file imports spec (room → room)`. */
export function violationsIn(srcDir, file, text) {
  const from = roomOf(relative(srcDir, file));
  if (!from) return [];
  const found = [];
  for (const [, spec] of text.matchAll(SPECIFIER)) {
    if (!spec.startsWith(".")) continue;
    const target = relative(srcDir, resolve(dirname(file), spec));
    if (target.startsWith("..")) continue; // outside src/ (migrations/*.sql)
    const to = roomOf(target);
    if (to && to !== from && !ALLOWED[from].includes(to)) {
      found.push(`${relative(process.cwd(), file)} imports "${spec}": ${from}/ may import only from ${[from, ...ALLOWED[from]].join("/, ")}/`);
    }
  }
  return found;
}

const CODE = /\.(ts|mts|js|mjs)$/;

/** Every file under `dir` (recursively). */
function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/** Every import-rule violation under `srcDir`. */
export function checkRooms(srcDir) {
  return [...files(srcDir)].filter((file) => CODE.test(file)).flatMap((file) => violationsIn(srcDir, file, readFileSync(file, "utf8")));
}

// ---- size limits ---------------------------------------------------------------------------

/** Lines a file in src/ may have ("about 400": a file past it has more than one concern). */
export const MAX_LINES = 400;
/** Fields a class may declare ("about 12": past it, part of its state wants an object of its own). */
export const MAX_FIELDS = 12;

/** Lines as `wc -l` counts them (a final newline ends the last line, it does not start one). */
export function lineCount(text) {
  if (text === "") return 0;
  const breaks = text.split("\n").length - 1;
  return text.endsWith("\n") ? breaks : breaks + 1;
}

const isStatic = (member) => member.modifiers?.some((m) => m.kind === SyntaxKind.StaticKeyword) ?? false;
/** A constructor parameter that declares a field (`private readonly storage: …`). */
const PARAMETER_PROPERTY = new Set([SyntaxKind.PublicKeyword, SyntaxKind.PrivateKeyword, SyntaxKind.ProtectedKeyword, SyntaxKind.ReadonlyKeyword]);

/**
 * A class's own instance fields: its property declarations (`#private` ones, `declare` and
 * `accessor` ones included) and its constructor's parameter properties. Static members are the
 * class's, not its objects' state, and inherited fields are counted where they are declared.
 */
function fieldsOf(cls) {
  const names = [];
  for (const member of cls.members) {
    if (member.kind === SyntaxKind.PropertyDeclaration && !isStatic(member)) names.push(member.name.getText());
    if (member.kind === SyntaxKind.Constructor) {
      for (const p of member.parameters) if (p.modifiers?.some((m) => PARAMETER_PROPERTY.has(m.kind))) names.push(p.name.getText());
    }
  }
  return names;
}

/**
 * Every class declared in `sources` (path → text), nested and anonymous ones included, with its
 * fields: `{ file, line, name, fields }`. The texts are parsed as one program on a virtual file
 * system holding only them (no lib, no imports followed), so it costs one parse per file.
 */
export function classesIn(sources) {
  const paths = Object.keys(sources);
  if (paths.length === 0) return [];
  const config = "/__check-rooms__/tsconfig.json";
  const options = { noLib: true, noResolve: true, types: [], allowJs: true, noEmit: true };
  const fs = createVirtualFileSystem({ ...sources, [config]: JSON.stringify({ compilerOptions: options, files: paths }) });
  const api = new API({ cwd: dirname(config), fs });
  try {
    const [project] = api.updateSnapshot({ openProject: config }).getProjects();
    const found = [];
    for (const file of paths) {
      const source = project.program.getSourceFile(file);
      const visit = (node) => {
        if (node.kind === SyntaxKind.ClassDeclaration || node.kind === SyntaxKind.ClassExpression) {
          const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
          found.push({ file, line, name: node.name?.getText() ?? "(anonymous)", fields: fieldsOf(node) });
        }
        node.forEachChild(visit);
      };
      visit(source);
    }
    return found;
  } finally {
    api.close();
  }
}

/** The size violations among `sources` (path → text): files over MAX_LINES, classes over MAX_FIELDS. */
export function sizeViolationsIn(sources) {
  const long = Object.entries(sources)
    .filter(([, text]) => lineCount(text) > MAX_LINES)
    .map(([file, text]) => `${relative(process.cwd(), file)} has ${lineCount(text)} lines: at most ${MAX_LINES} (move a concern into a module of its own)`);
  const code = Object.fromEntries(Object.entries(sources).filter(([file]) => CODE.test(file)));
  const wide = classesIn(code)
    .filter(({ fields }) => fields.length > MAX_FIELDS)
    .map(({ file, line, name, fields }) => `${relative(process.cwd(), file)}:${line} class ${name} has ${fields.length} fields: at most ${MAX_FIELDS} (${fields.join(", ")})`);
  return [...long, ...wide];
}

/** Every size violation under `srcDir`: every file counts its lines (styles and pages too), code files their classes. */
export function checkSizes(srcDir) {
  const texts = [...files(srcDir)].filter((file) => extname(file) !== "").map((file) => [file, readFileSync(file, "utf8")]);
  return sizeViolationsIn(Object.fromEntries(texts));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const src = fileURLToPath(new URL("../src", import.meta.url));
  const found = [...checkRooms(src), ...checkSizes(src)];
  for (const line of found) console.error(line);
  if (found.length > 0) process.exit(1);
}
