// The alert rules in docs/metrics.md are what operators paste into Prometheus, so they are checked
// as Prometheus would load them: `promtool check rules` (syntax and PromQL), and `promtool test
// rules` for PeerdirConsumerLoop (it fires on a looping node after its `for`, and clears). Every
// metric a rule names must be one the directory serves.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ClusterCounters } from "../../src/cluster/counters.js";
import { clusterFamilies } from "../../src/cluster/metrics.js";
import { refusalFamilies } from "../../src/worker/objects/refusal-metrics.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const doc = readFileSync(join(root, "docs/metrics.md"), "utf8");
const section = doc.slice(doc.indexOf("## Alert rules"));
const rulesYaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
const work = mkdtempSync(join(tmpdir(), "peerdir-alert-rules-"));
const rulesFile = join(work, "peerdir.rules.yml");
writeFileSync(rulesFile, rulesYaml);

function promtool(...args: string[]) {
  const run = spawnSync("promtool", args, { encoding: "utf8", cwd: work });
  expect(run.error, "promtool is missing: install Debian's prometheus package (.ci/run does)").toBeUndefined();
  return run;
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
}

const rules = (parse(rulesYaml) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

describe("alert rules in docs/metrics.md", () => {
  it("pass promtool check rules", () => {
    const check = promtool("check", "rules", rulesFile);
    expect(check.status, `${check.stdout}\n${check.stderr}`).toBe(0);
    expect(check.stdout).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it("name only metrics the directory serves", () => {
    const zero = { reachable: 0, unknown: 0, unreachable: 0, notReady: 0 };
    const served = new Set(
      [
        ...clusterFamilies({
          counters: new ClusterCounters(),
          state: { live: 0, ended: 0, overrides: { pin: 0, block: 0, drain: 0 } },
          degraded: false,
          reachability: zero,
          consumerLoops: 0,
          version: 0,
          watchers: 0,
          startedAt: 0,
        }),
        ...refusalFamilies(new Map()),
      ].map((f) => f.name),
    );
    for (const rule of rules) for (const [name] of rule.expr.matchAll(/peerdir_[a-z_]+/g)) expect(served, `${rule.alert}: ${name}`).toContain(name);
  });

  it("PeerdirConsumerLoop fires for a cluster whose nodes loop for 2 minutes, and not for a blip", () => {
    const loop = rules.find((r) => r.alert === "PeerdirConsumerLoop");
    expect(loop).toMatchObject({ expr: "peerdir_nodes_consumer_looping > 0", for: "2m" });
    const { description } = (loop as unknown as { annotations: { description: string } }).annotations;
    const annotations = (nodes: number) => ({
      summary: `${nodes} node(s) of peerdir cluster prod have a local consumer asking for peers in a loop`,
      description: description.replace("{{ $labels.cluster }}", "prod"),
    });
    writeFileSync(
      join(work, "consumer-loop.test.yml"),
      JSON.stringify({
        rule_files: [rulesFile],
        evaluation_interval: "1m",
        tests: [
          {
            interval: "1m",
            input_series: [
              // prod: one node starts looping at minute 2, a second joins at 5, all clear at 8.
              { series: 'peerdir_nodes_consumer_looping{cluster="prod"}', values: "0 0 1 1 1 2 2 2 0 0" },
              // staging: a one-minute blip.
              { series: 'peerdir_nodes_consumer_looping{cluster="staging"}', values: "0 1 0 0 0 0 0 0 0 0" },
            ],
            alert_rule_test: [
              { eval_time: "3m", alertname: "PeerdirConsumerLoop", exp_alerts: [] },
              {
                eval_time: "4m",
                alertname: "PeerdirConsumerLoop",
                exp_alerts: [{ exp_labels: { severity: "warn", cluster: "prod" }, exp_annotations: annotations(1) }],
              },
              { eval_time: "6m", alertname: "PeerdirConsumerLoop", exp_alerts: [{ exp_labels: { severity: "warn", cluster: "prod" }, exp_annotations: annotations(2) }] },
              { eval_time: "8m", alertname: "PeerdirConsumerLoop", exp_alerts: [] },
            ],
          },
        ],
      }),
    );
    const test = promtool("test", "rules", "consumer-loop.test.yml");
    expect(test.status, `${test.stdout}\n${test.stderr}`).toBe(0);
    expect(test.stdout).toContain("SUCCESS");
  });
});
