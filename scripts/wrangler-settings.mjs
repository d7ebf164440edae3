// The settings the Worker is deployed with, read from wrangler.toml (the top level, which
// `wrangler dev` and the tests run), so the Node-side test harness and the benchmarks start the
// directory exactly as configured and cannot drift from it. One reader for both.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";

/**
 * `tree`: the checkout whose wrangler.toml to read (bench/compare.mjs runs another one).
 * Returns the compatibility date and flags, the [vars], the Durable Object bindings and the
 * rate limit bindings.
 */
export function wranglerSettings(tree) {
  const config = parse(readFileSync(join(tree, "wrangler.toml"), "utf8"));
  if (typeof config.compatibility_date !== "string") throw new Error(`${tree}/wrangler.toml has no compatibility_date`);
  const bindings = config.durable_objects?.bindings ?? [];
  return {
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: [...(config.compatibility_flags ?? [])],
    vars: Object.fromEntries(Object.entries(config.vars ?? {}).map(([name, value]) => [name, String(value)])),
    durableObjects: bindings.map((b) => ({ binding: b.name, className: b.class_name })),
    ratelimits: (config.ratelimits ?? []).map((r) => ({ name: r.name, namespaceId: String(r.namespace_id), limit: r.simple.limit, period: r.simple.period })),
  };
}
