// The exposition writer, read back by a real Prometheus text parser; and the build version the
// deployed Worker reports kept equal to the package's.
import { readFileSync } from "node:fs";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { exposition } from "../../src/contract/prometheus.js";

describe("exposition", () => {
  it("writes HELP, TYPE, common labels first and escaped label values a parser reads back", () => {
    const text = exposition(
      [
        { name: "x_total", help: "A counter\nover two lines", type: "counter", samples: [{ labels: { kind: 'say "hi"\\ now' }, value: 3 }] },
        { name: "y", help: "A gauge", type: "gauge", samples: [{ value: Number.POSITIVE_INFINITY }, { labels: { k: "v" }, value: 0.5 }] },
      ],
      { cluster: "c1" },
    );
    expect(text.endsWith("\n")).toBe(true);
    expect(text).toContain('x_total{cluster="c1",kind="say \\"hi\\"\\\\ now"} 3\n');
    const parsed = parsePrometheusTextFormat(text) as { name: string; type: string; help: string; metrics: { value: string; labels?: Record<string, string> }[] }[];
    expect(parsed.map((f) => [f.name, f.type])).toEqual([
      ["x_total", "COUNTER"],
      ["y", "GAUGE"],
    ]);
    expect(parsed[0].metrics[0].labels).toEqual({ cluster: "c1", kind: 'say "hi"\\ now' });
    expect(parsed[1].metrics.map((m) => m.value)).toEqual(["+Inf", "0.5"]);
  });
});

describe("build version", () => {
  it("wrangler.toml defines the package's version for the deployed Worker, in every environment", () => {
    const root = new URL("../../", import.meta.url);
    const { version } = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { version: string };
    const toml = readFileSync(new URL("wrangler.toml", root), "utf8");
    const defined = [...toml.matchAll(/^__PEERDIR_VERSION__ = '"([^"]+)"'$/gm)].map((m) => m[1]);
    expect(defined.length).toBeGreaterThan(0); // the top level, and each environment repeats it
    expect(new Set(defined)).toEqual(new Set([version]));
  });
});
