import { describe, expect, it } from "vitest";
import { type MetricsSnapshot, RequestCounter, renderMetrics } from "../../src/agent/outputs/metrics.js";

function snapshot(over: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  return {
    peers: 4,
    stale: false,
    synced: true,
    secondsSinceSync: 1.2345,
    leaseSecondsLeft: 42,
    reachable: true,
    up: true,
    outageSeconds: 0,
    attempts: new Map([
      ["failed", 0],
      ["ok", 0],
      ["refused", 0],
    ]),
    version: 12,
    requests: new Map(),
    onChangeRuns: { ok: 2, failed: 1 },
    transport: "watch",
    watchMessages: new Map(),
    degraded: false,
    probes: { ok: 7, failed: 2, unknown: 1 },
    ready: false,
    consumers: { counts: [0, 0, 3, 0, 1], looping: false },
    ...over,
  };
}

describe("renderMetrics", () => {
  it("counts local consumers' requests by endpoint and says whether they loop", () => {
    const text = renderMetrics(snapshot({ consumers: { counts: [5, 0, 3, 0, 1], looping: true } }));
    expect(text).toContain("# TYPE peerdir_agent_consumer_requests_total counter\n");
    expect(text).toContain('peerdir_agent_consumer_requests_total{endpoint="/v1-k3s/p2p"} 5\n');
    expect(text).toContain('peerdir_agent_consumer_requests_total{endpoint="/v1-rke2/p2p"} 0\n');
    expect(text).toContain('peerdir_agent_consumer_requests_total{endpoint="/id"} 3\n');
    expect(text).toContain('peerdir_agent_consumer_requests_total{endpoint="/peers"} 1\n');
    expect(text).toContain("# TYPE peerdir_agent_consumer_looping gauge\npeerdir_agent_consumer_looping 1\n");
    expect(renderMetrics(snapshot())).toContain("peerdir_agent_consumer_looping 0\n");
  });

  it("renders every gauge in Prometheus text format with HELP and TYPE", () => {
    const text = renderMetrics(snapshot());
    expect(text).toContain("# TYPE peerdir_agent_peers gauge\npeerdir_agent_peers 4\n");
    expect(text).toContain("peerdir_agent_stale 0\n");
    expect(text).toContain("peerdir_agent_synced 1\n");
    expect(text).toContain("peerdir_agent_seconds_since_last_sync 1.235\n");
    expect(text).toContain("peerdir_agent_lease_seconds_left 42\n");
    expect(text).toContain("peerdir_agent_directory_reachable 1\n");
    expect(text).toContain("peerdir_agent_peers_version 12\n");
    expect(text).toContain("peerdir_agent_directory_up 1\n");
    expect(text).toContain("# TYPE peerdir_agent_directory_outage_seconds_total counter\npeerdir_agent_directory_outage_seconds_total 0\n");
    expect(text).toContain('peerdir_agent_directory_attempts_total{result="failed"} 0\n');
    expect(text).toContain('peerdir_agent_on_change_runs_total{result="ok"} 2\n');
    expect(text).toContain('peerdir_agent_on_change_runs_total{result="failed"} 1\n');
    expect(text).toContain("peerdir_agent_ready 0\n");
    expect(text).toContain('peerdir_agent_probes_total{result="failed"} 2\npeerdir_agent_probes_total{result="ok"} 7\npeerdir_agent_probes_total{result="unknown"} 1\n');
    expect(text.endsWith("\n")).toBe(true);
  });

  it("says when the peers are stale and the directory unreachable", () => {
    const text = renderMetrics(snapshot({ stale: true, reachable: false, secondsSinceSync: null, leaseSecondsLeft: -5, version: null }));
    expect(text).toContain("peerdir_agent_stale 1\n");
    expect(text).toContain("peerdir_agent_directory_reachable 0\n");
    expect(text).toContain("peerdir_agent_seconds_since_last_sync +Inf\n");
    expect(text).toContain("peerdir_agent_lease_seconds_left 0\n");
    expect(text).toContain("peerdir_agent_peers_version -1\n");
  });

  it("counts requests by request and result, sorted", () => {
    const counter = new RequestCounter();
    counter.add("peers", "not_modified");
    counter.add("peers", "not_modified");
    counter.add("register", "ok");
    counter.add("peers", "network_error");
    const text = renderMetrics(snapshot({ requests: counter.counts }));
    expect(text).toContain(
      [
        "# TYPE peerdir_agent_requests_total counter",
        'peerdir_agent_requests_total{request="peers",result="network_error"} 1',
        'peerdir_agent_requests_total{request="peers",result="not_modified"} 2',
        'peerdir_agent_requests_total{request="register",result="ok"} 1',
      ].join("\n"),
    );
  });

  it("reports the transport in use as one series at 1, watch messages by type, and the directory's degraded flag", () => {
    const text = renderMetrics(
      snapshot({
        transport: "long-poll",
        watchMessages: new Map([
          ["pong", 3],
          ["delta", 2],
          ["snapshot", 1],
        ]),
        degraded: true,
      }),
    );
    expect(text).toContain(
      [
        "# TYPE peerdir_agent_transport gauge",
        'peerdir_agent_transport{transport="watch"} 0',
        'peerdir_agent_transport{transport="long-poll"} 1',
        'peerdir_agent_transport{transport="poll"} 0',
      ].join("\n"),
    );
    expect(text).toContain(
      [
        "# TYPE peerdir_agent_watch_messages_total counter",
        'peerdir_agent_watch_messages_total{type="delta"} 2',
        'peerdir_agent_watch_messages_total{type="pong"} 3',
        'peerdir_agent_watch_messages_total{type="snapshot"} 1',
      ].join("\n"),
    );
    expect(text).toContain("peerdir_agent_directory_degraded 1\n");
    expect(renderMetrics(snapshot())).toContain("peerdir_agent_directory_degraded 0\n");
  });

  it("names every sample peerdir_agent_* and every line is a comment or a sample", () => {
    const text = renderMetrics(snapshot({ requests: new Map([["peers\u0000ok", 1]]), transport: "long-poll", watchMessages: new Map([["delta", 1]]) }));
    for (const line of text.trimEnd().split("\n")) {
      expect(line).toMatch(/^(# (HELP|TYPE) peerdir_agent_[a-z_]+ .+|peerdir_agent_[a-z_]+(\{[a-z]+="[a-z0-9_/-]+"(,[a-z]+="[a-z0-9_/-]+")*\})? (-?[0-9.]+|\+Inf|NaN))$/);
    }
  });
});
