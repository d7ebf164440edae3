// Deploying, as far as a machine without a Cloudflare account can go: wrangler through the
// launcher on the oldest Node here (20 on CI), the dry-run bundle of every environment within the
// size budget and with the same bindings, and every wrangler command docs/deploy.md shows naming
// a real subcommand, real flags and a real environment.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain script without type declarations
import { BUDGET_GZIP_KIB } from "../../scripts/deploy.mjs";
import { envWithNode, oldestNode } from "../support/nodes.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);
const { binDir, version } = oldestNode();
// wrangler at its usual log level: the bindings table is part of what is checked.
const npm = (args: string[]) => run("npm", ["--silent", ...args], { cwd: root, env: envWithNode(binDir, { WRANGLER_LOG: "log" }), maxBuffer: 16 * 1024 * 1024 });

const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
const environments = [...toml.matchAll(/^\[env\.([a-z]+)\]$/gm)].map((m) => m[1]);
const docs = readFileSync(join(root, "docs/deploy.md"), "utf8");
/** Every command line in the guide's sh blocks that runs wrangler or the deploy script. */
const documented = [...docs.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n")).filter((line) => /^npm run (wrangler|deploy) -- /.test(line));

/** The bindings table wrangler prints, one line per binding, without the "local"/remote column. */
const bindingsOf = (output: string) =>
  output
    .split("\n")
    .filter((line) => line.startsWith("env."))
    .map((line) =>
      line
        .split(/\s{2,}/)
        .slice(0, 2)
        .join(" "),
    )
    .sort();

describe(`deploying (Node ${version})`, () => {
  const outdirs: string[] = [];
  afterAll(() => {
    for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
  });

  it("runs wrangler through the launcher called directly, without npm putting node_modules/.bin on PATH", async () => {
    const path = (envWithNode(binDir).PATH ?? "").split(delimiter).filter((dir) => !dir.includes("node_modules"));
    const { stdout } = await run("node", ["scripts/with-node.mjs", "wrangler", "--version"], {
      cwd: root,
      env: { ...process.env, WRANGLER_LOG: "log", PATH: path.join(delimiter) },
    });
    expect(stdout).toContain(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).devDependencies.wrangler);
  });

  it("runs wrangler through the launcher", async () => {
    const { stdout } = await npm(["run", "wrangler", "--", "--version"]);
    const pinned = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).devDependencies.wrangler;
    expect(stdout).toContain(pinned);
  });

  it("quotes the size budget the dry run enforces, and no size that goes stale", () => {
    const section = docs.split("### Size budget")[1]?.split("\n### ")[0] ?? "";
    expect(section).toContain(`**${BUDGET_GZIP_KIB} KiB gzip**`);
    expect(section).toContain(`of a ${BUDGET_GZIP_KIB} KiB budget`);
    // Every other KiB figure there is the free plan's limit or a placeholder, never today's size.
    expect(section.match(/\b\d+(\.\d+)? KiB\b/g)?.filter((m) => m !== `${BUDGET_GZIP_KIB} KiB`) ?? []).toEqual([]);
  });

  it("has staging and production environments", () => {
    expect(environments).toEqual(["staging", "production"]);
  });

  it("bundles the same Worker for every environment, within the size budget, with the top level's bindings and vars", async () => {
    const results = await Promise.all(
      [null, ...environments].map(async (env) => {
        const outdir = mkdtempSync(join(tmpdir(), "peerdir-deploy-"));
        outdirs.push(outdir);
        const { stdout, stderr } = await npm(["run", "deploy", "--", "--dry-run", "--outdir", outdir, env ? `--env=${env}` : "--env="]);
        return { env, stdout, stderr, bundle: readFileSync(join(outdir, "index.js"), "utf8") };
      }),
    );
    const top = results[0];
    expect(bindingsOf(top.stdout)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^env\.CLUSTER \(ClusterDirectory\) Durable Object/), expect.stringMatching(/^env\.NODE_RATE_BURST/)]),
    );
    for (const { env, stdout, stderr, bundle } of results) {
      const name = env ?? "top level";
      const budget = new RegExp(`^deploy: bundle: [\\d.]+ KiB, gzip ([\\d.]+) KiB of a ${BUDGET_GZIP_KIB} KiB budget$`, "m").exec(stdout);
      expect(budget, `${name}: ${stdout}`).not.toBeNull();
      expect(Number(budget?.[1])).toBeLessThanOrEqual(BUDGET_GZIP_KIB);
      expect(bindingsOf(stdout), name).toEqual(bindingsOf(top.stdout));
      // wrangler warns when a top-level key an environment does not inherit ([define], say) is missing there.
      expect(stderr, name).not.toMatch(/WARNING/);
      // The same code: [define] and the build are the same for every environment.
      expect(bundle === top.bundle, `${name}'s bundle differs from the top level's`).toBe(true);
    }
  });

  it("documents only wrangler commands, flags and environments that exist", async () => {
    expect(documented.length).toBeGreaterThan(8);
    // Each subcommand's --help once, with the flags every documented line gives it.
    const flagsBySubcommand = new Map<string, Set<string>>();
    for (const line of documented) {
      const [, script, rest] = /^npm run (wrangler|deploy) -- (.*)$/.exec(line)!;
      const words = rest.split(/\s+/);
      // The subcommand is the leading lower-case words: `secret put ADMIN_TOKEN --env x` → secret put.
      const end = words.findIndex((w) => !/^[a-z]+$/.test(w));
      const subcommand = script === "deploy" ? "deploy" : words.slice(0, end === -1 ? words.length : end).join(" ");
      const flags = flagsBySubcommand.get(subcommand) ?? new Set<string>();
      for (const flag of words.filter((w) => w.startsWith("--"))) flags.add(flag);
      flagsBySubcommand.set(subcommand, flags);
      const env = /--env (\S+)/.exec(rest)?.[1];
      if (env) expect(environments, line).toContain(env);
    }
    // As few wrangler runs as can tell: a command is listed in its parent's help, global flags in
    // the top-level help, and only a command's own flags need its own help.
    const helps = new Map<string, Promise<string>>();
    const help = (command: string) => {
      if (!helps.has(command)) {
        const args = [join(root, "node_modules/wrangler/bin/wrangler.js"), ...command.split(" ").filter(Boolean), "--help"];
        helps.set(
          command,
          run(process.execPath, args, { cwd: root, env: { ...process.env, WRANGLER_LOG: "log" } }).then((r) => r.stdout),
        );
      }
      return helps.get(command)!;
    };
    const globalFlags = (await help("")).split("GLOBAL FLAGS")[1] ?? "";
    await Promise.all(
      [...flagsBySubcommand].map(async ([subcommand, flags]) => {
        if (subcommand) expect(await help(subcommand.split(" ").slice(0, -1).join(" ")), subcommand).toMatch(new RegExp(`^ {2}wrangler ${subcommand}( |$)`, "m"));
        for (const flag of flags) {
          const where = globalFlags.includes(`${flag} `) ? globalFlags : await help(subcommand);
          expect(where, `wrangler ${subcommand}: ${flag}`).toContain(`${flag} `);
        }
      }),
    );
  });
});
