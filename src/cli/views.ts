/**
 * The human views of each admin answer, as pure functions of the API's JSON (and, for lease
 * times, of `now`), so they can be tested without a directory. `--json` bypasses all of this.
 */
import type { AuditEntry, ClusterDetail, ClusterSummary, CreatedJoinToken, Handout, JoinTokenInfo, NodeView, Override } from "../contract/admin.js";
import type { CreateClusterResponse } from "../contract/schemas.js";
import { OVERRIDES } from "../contract/overrides.js";
import { type Cell, renderFields, renderTable } from "./table.js";

const orNever = (iso: string | null) => iso ?? "never";
const orDash = (v: string | null | undefined) => (v === null || v === undefined || v === "" ? "-" : v);
const labelLines = (labels: Record<string, string> | undefined): string[] => Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);

/** "in 52s", "3m ago": lease times matter relative to now. */
export function relative(iso: string | null, now: number): string {
  if (iso === null) return "-";
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const secs = Math.round((ms - now) / 1000);
  const abs = Math.abs(secs);
  const amount = abs < 120 ? `${abs}s` : abs < 7200 ? `${Math.round(abs / 60)}m` : abs < 172_800 ? `${Math.round(abs / 3600)}h` : `${Math.round(abs / 86_400)}d`;
  if (secs === 0) return "now";
  return secs > 0 ? `in ${amount}` : `${amount} ago`;
}

function secret(label: string, value: string): string {
  return [`${label} (shown only this once; the directory keeps only its hash):`, `  ${value}`].join("\n");
}

export function createdClusterView(c: CreateClusterResponse): string {
  return [`Created cluster ${c.name} at ${c.createdAt}.`, secret("Join token", c.joinToken)].join("\n");
}

export function clustersView(clusters: readonly ClusterSummary[]): string {
  if (clusters.length === 0) return "No clusters.";
  return renderTable(
    ["NAME", "NODES", "VERSION", "CREATED", "DEGRADED"],
    clusters.map((c) => [c.name, String(c.nodes), String(c.version), c.createdAt, c.degraded ? "yes" : "-"]),
  );
}

export function clusterView(c: ClusterDetail): string {
  const s = c.settings;
  return renderFields([
    ["name", c.name],
    ["nodes", String(c.nodes)],
    ["version", String(c.version)],
    ["created", c.createdAt],
    ["degraded", c.degraded ? "yes: self-preservation is keeping leases that ran out (peerdir cluster expire ends them)" : "no"],
    ["reachability", reachabilityCounts(c.reachability)],
    ["min-ttl", `${s.minTtlSeconds}s`],
    ["default-ttl", `${s.defaultTtlSeconds}s`],
    ["max-ttl", `${s.maxTtlSeconds}s`],
    ["max-nodes", String(s.maxNodes)],
    ["min-interval", s.minIntervalSeconds === 0 ? "0 (no per-node rate limit)" : `${s.minIntervalSeconds}s`],
    ["default-limit", s.defaultLimit === null ? "none (every peer)" : String(s.defaultLimit)],
    ["address-policy", s.addressPolicy],
  ]);
}

export function createdTokenView(cluster: string, t: CreatedJoinToken): string {
  return [`Created join token ${t.id} for cluster ${cluster} (expires: ${orNever(t.expiresAt)}).`, secret("Join token", t.token)].join("\n");
}

export function tokensView(tokens: readonly JoinTokenInfo[]): string {
  if (tokens.length === 0) return "No join tokens.";
  return renderTable(
    ["ID", "CREATED", "EXPIRES"],
    tokens.map((t) => [t.id, t.createdAt, orNever(t.expiresAt)]),
  );
}

function reachabilityCounts(r: ClusterDetail["reachability"] | undefined): string {
  if (!r) return "-";
  const parts = [`${r.reachable} reachable`, `${r.unknown} unknown`, `${r.unreachable} unreachable`];
  if (r.notReady > 0) parts.push(`${r.notReady} not ready`);
  return parts.join(", ");
}

/** "reachable 2 ok", "unreachable 3 failed", "unknown": the state and the distinct reporters behind it. */
export function reachabilityCell(r: NodeView["reachability"] | undefined): string {
  if (!r) return "-";
  const counts = [r.okReporters ? `${r.okReporters} ok` : "", r.failedReporters ? `${r.failedReporters} failed` : ""].filter(Boolean);
  return counts.length ? `${r.state} ${counts.join(" ")}` : r.state;
}

export function nodesView(nodes: readonly NodeView[], now: number): string {
  if (nodes.length === 0) return "No nodes.";
  return renderTable(
    ["ID", "STATE", "READY", "REACHABILITY", "SOURCE", "ADDRS", "LABELS", "EXPIRES", "RENEWED", "REGISTERED", "IP"],
    nodes.map((n) => [
      n.id,
      n.state,
      n.ready === false ? "no" : "yes",
      reachabilityCell(n.reachability),
      n.source,
      n.addrs,
      labelLines(n.labels),
      relative(n.expiresAt, now),
      relative(n.lastRenewedAt, now),
      relative(n.registeredAt, now),
      orDash(n.observedIp),
    ]),
  );
}

export function overridesView(overrides: readonly Override[]): string {
  if (overrides.length === 0) return "No overrides.";
  return renderTable(
    ["NODE", "ACTION", "ADDRS", "LABELS", "REASON", "CREATED", "EXPIRES"],
    overrides.map((o) => [o.node, o.action, o.addrs ?? [], labelLines(o.labels), o.reason, o.createdAt, orNever(o.expiresAt)]),
  );
}

export function overrideView(cluster: string, o: Override): string {
  const fields: [string, Cell][] = [
    ["node", o.node],
    ["action", o.action],
  ];
  if (o.addrs) fields.push(["addrs", o.addrs]);
  if (o.labels && Object.keys(o.labels).length > 0) fields.push(["labels", labelLines(o.labels)]);
  fields.push(["reason", o.reason], ["created", o.createdAt], ["expires", orNever(o.expiresAt)]);
  const done = OVERRIDES[o.action].done;
  return [`${done[0].toUpperCase()}${done.slice(1)} ${o.node} in cluster ${cluster}.`, renderFields(fields)].join("\n");
}

export function handoutView(node: string, h: Handout): string {
  const head = `${node} would receive ${h.peers.length} peer${h.peers.length === 1 ? "" : "s"} (version ${h.version}).`;
  if (h.peers.length === 0) return head;
  return [
    head,
    renderTable(
      ["ID", "ADDRS", "LABELS"],
      h.peers.map((p) => [p.id, p.addrs, labelLines(p.labels)]),
    ),
  ].join("\n");
}

function actor(a: AuditEntry["actor"]): string {
  return a.kind === a.id ? a.kind : `${a.kind}:${a.id}`;
}

export function auditView(entries: readonly AuditEntry[]): string {
  if (entries.length === 0) return "No audit entries.";
  return renderTable(
    ["SEQ", "AT", "ACTOR", "ACTION", "NODE", "REASON"],
    entries.map((e) => [String(e.seq), e.at, actor(e.actor), e.action, orDash(e.node), orDash(e.reason)]),
  );
}
