/**
 * /metrics in the Prometheus text exposition format (version 0.0.4), names prefixed
 * `peerdir_agent_`. Rendering is a pure function of a snapshot so the text can be tested
 * exactly; the request counters are the only state kept here.
 */
import { CONSUMER_ENDPOINTS } from "../../contract/consumers.js";
import { TRANSPORTS, type Transport } from "../feed/transport.js";

export interface MetricsSnapshot {
  peers: number;
  stale: boolean;
  synced: boolean;
  /** Seconds since the directory last confirmed the peers; null when it never has. */
  secondsSinceSync: number | null;
  leaseSecondsLeft: number;
  reachable: boolean;
  /** The directory is up: the last attempt was no failure (a 5xx, 408, 429, network error or time-out). */
  up: boolean;
  /** Seconds spent in outages since the agent started. */
  outageSeconds: number;
  /** Attempts by verdict (ok, refused, failed), from the shared failure policy. */
  attempts: ReadonlyMap<string, number>;
  version: number | null;
  requests: ReadonlyMap<string, number>;
  onChangeRuns: { ok: number; failed: number };
  /** The transport in use now. */
  transport: Transport;
  /** Watch messages received, by type. */
  watchMessages: ReadonlyMap<string, number>;
  /** The directory's last handout said `"degraded": true`. */
  degraded: boolean;
  /** Peer probes finished, by result. */
  probes: Readonly<Record<"ok" | "failed" | "unknown", number>>;
  /** The self-check's latest answer (true when it is off). */
  ready: boolean;
  /** Requests from local consumers by endpoint (CONSUMER_ENDPOINTS order), and whether they loop now. */
  consumers: { counts: ArrayLike<number>; looping: boolean };
}

/** Counts directory requests by kind and outcome. */
export class RequestCounter {
  readonly counts = new Map<string, number>();

  add(request: string, result: string): void {
    const key = `${request}\u0000${result}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  return String(Math.round(n * 1000) / 1000);
}

function gauge(name: string, help: string, value: number): string[] {
  return [`# HELP peerdir_agent_${name} ${help}`, `# TYPE peerdir_agent_${name} gauge`, `peerdir_agent_${name} ${num(value)}`];
}

export function renderMetrics(s: MetricsSnapshot): string {
  const lines = [
    ...gauge("peers", "Peers in the current handout (this node excluded).", s.peers),
    ...gauge("stale", "1 when the peers served are not freshly confirmed by the directory.", s.stale ? 1 : 0),
    ...gauge("synced", "1 once the directory has confirmed the peers during this run (what /healthz reports).", s.synced ? 1 : 0),
    ...gauge("seconds_since_last_sync", "Seconds since the directory last confirmed the peers; +Inf when it never has.", s.secondsSinceSync ?? Infinity),
    ...gauge("lease_seconds_left", "Seconds until this node's lease ends, as last granted; 0 without a lease.", Math.max(0, s.leaseSecondsLeft)),
    ...gauge("directory_reachable", "1 when the last request got an answer from the directory (not a network error or 5xx).", s.reachable ? 1 : 0),
    ...gauge("directory_up", "1 when the directory is up: the last request was not a failure (5xx, 408, 429, network error or time-out).", s.up ? 1 : 0),
    "# HELP peerdir_agent_directory_outage_seconds_total Seconds the directory has been unavailable to this agent since it started.",
    "# TYPE peerdir_agent_directory_outage_seconds_total counter",
    `peerdir_agent_directory_outage_seconds_total ${num(s.outageSeconds)}`,
    "# HELP peerdir_agent_directory_attempts_total Requests to the directory by verdict: ok (2xx/304, an open watch), refused (a 4xx other than 408/429), failed.",
    "# TYPE peerdir_agent_directory_attempts_total counter",
    ...[...s.attempts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([result, n]) => `peerdir_agent_directory_attempts_total{result="${result}"} ${n}`),
    ...gauge("peers_version", "Version of the directory's peer list currently served; -1 when none.", s.version ?? -1),
    ...gauge("ready", "1 when this node's own advertised TCP address accepts connections (the self-check), or the check is off.", s.ready ? 1 : 0),
    "# HELP peerdir_agent_probes_total Probes of handout peers by result (ok, failed; unknown: no TCP address to probe).",
    "# TYPE peerdir_agent_probes_total counter",
    `peerdir_agent_probes_total{result="failed"} ${s.probes.failed}`,
    `peerdir_agent_probes_total{result="ok"} ${s.probes.ok}`,
    `peerdir_agent_probes_total{result="unknown"} ${s.probes.unknown}`,
    ...gauge("directory_degraded", '1 when the directory\'s last handout said "degraded": true (self-preservation: expired leases are being kept).', s.degraded ? 1 : 0),
    "# HELP peerdir_agent_transport How the agent hears about peer changes: 1 for the transport in use, 0 for the others.",
    "# TYPE peerdir_agent_transport gauge",
    ...TRANSPORTS.map((t) => `peerdir_agent_transport{transport="${t}"} ${t === s.transport ? 1 : 0}`),
    "# HELP peerdir_agent_watch_messages_total Messages received on the WebSocket watch, by type (snapshot, delta, pong, renewed, error, other, invalid).",
    "# TYPE peerdir_agent_watch_messages_total counter",
    ...[...new Map([["delta", 0], ["pong", 0], ["snapshot", 0], ...s.watchMessages])]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([type, n]) => `peerdir_agent_watch_messages_total{type="${type}"} ${n}`),
    "# HELP peerdir_agent_consumer_requests_total Requests from local consumers to the peer endpoints, by endpoint (every answer is counted, 503s too).",
    "# TYPE peerdir_agent_consumer_requests_total counter",
    ...CONSUMER_ENDPOINTS.map((endpoint, i) => `peerdir_agent_consumer_requests_total{endpoint="${endpoint}"} ${s.consumers.counts[i] ?? 0}`),
    ...gauge("consumer_looping", "1 while local consumers ask for peers above --consumer-loop-threshold requests a minute (a loop).", s.consumers.looping ? 1 : 0),
    "# HELP peerdir_agent_requests_total Requests to the directory by request and result.",
    "# TYPE peerdir_agent_requests_total counter",
  ];
  for (const [key, value] of [...s.requests].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [request, result] = key.split("\u0000");
    lines.push(`peerdir_agent_requests_total{request="${request}",result="${result}"} ${value}`);
  }
  lines.push(
    "# HELP peerdir_agent_on_change_runs_total Runs of the --on-change command by result.",
    "# TYPE peerdir_agent_on_change_runs_total counter",
    `peerdir_agent_on_change_runs_total{result="ok"} ${s.onChangeRuns.ok}`,
    `peerdir_agent_on_change_runs_total{result="failed"} ${s.onChangeRuns.failed}`,
  );
  // Read per scrape only: what the agent's footprint is made of (docs/agent.md#footprint).
  const memory = process.memoryUsage();
  lines.push(
    "# HELP peerdir_agent_memory_bytes The agent process's memory: resident (rss), V8 heap reserved and used, and memory outside the heap (external).",
    "# TYPE peerdir_agent_memory_bytes gauge",
    `peerdir_agent_memory_bytes{kind="rss"} ${memory.rss}`,
    `peerdir_agent_memory_bytes{kind="heap_total"} ${memory.heapTotal}`,
    `peerdir_agent_memory_bytes{kind="heap_used"} ${memory.heapUsed}`,
    `peerdir_agent_memory_bytes{kind="external"} ${memory.external}`,
  );
  return `${lines.join("\n")}\n`;
}
