/**
 * The human views of each admin answer, as pure functions of the API's JSON (and, for lease
 * times, of `now`), so they can be tested without a directory. `--json` bypasses all of this.
 */
import type { AuditEntry, ClusterDetail, ClusterSummary, CreatedJoinToken, Handout, JoinTokenInfo, NodeView, Override } from "../contract/admin.js";
import type { AdminTokenInfo, CreatedAdminToken } from "../contract/admin-tokens.js";
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
    ["consumer-loops", c.consumerLoops ? `${c.consumerLoops} node${c.consumerLoops === 1 ? "" : "s"} whose consumers ask for peers in a loop (see peerdir node list)` : "none"],
    ["min-ttl", `${s.minTtlSeconds}s`],
    ["default-ttl", `${s.defaultTtlSeconds}s`],
    ["max-ttl", `${s.maxTtlSeconds}s`],
    ["max-nodes", String(s.maxNodes)],
    ["min-interval", s.minIntervalSeconds === 0 ? "0 (no per-node rate limit)" : `${s.minIntervalSeconds}s`],
    ["default-limit", s.defaultLimit === null ? "none (every peer)" : String(s.defaultLimit)],
    ["address-policy", s.addressPolicy],
    ["probing", s.probing === "off" ? "off (agents probe no peer)" : "on"],
    ["probe-ranges", s.probeRanges.length ? s.probeRanges.join(", ") : "any"],
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

const scope = (clusters: readonly string[]) => (clusters.length === 1 && clusters[0] === "*" ? "* (every cluster)" : clusters.join(", "));

export function createdAdminTokenView(t: CreatedAdminToken): string {
  return [`Created admin token ${t.name} (id ${t.id}): ${t.role} on ${scope(t.clusters)}, expires: ${orNever(t.expiresAt)}.`, secret("Admin token", t.token)].join("\n");
}

export function adminTokensView(tokens: readonly AdminTokenInfo[]): string {
  if (tokens.length === 0) return "No named admin tokens.";
  return renderTable(
    ["ID", "NAME", "ROLE", "CLUSTERS", "CREATED", "BY", "EXPIRES"],
    tokens.map((t) => [t.id, t.name, t.role, t.clusters, t.createdAt, t.createdBy, orNever(t.expiresAt)]),
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

/** What a blocked or draining node's state means, after the table: the cells alone would read as a live lease. */
function overrideNotes(nodes: readonly NodeView[]): string[] {
  const why = (n: NodeView) => (n.reason ? ` (${n.reason})` : "");
  return nodes.flatMap((n) =>
    n.state === "blocked"
      ? [`${n.id}: blocked${why(n)}: no lease, handed out to no one; its requests get 403.`]
      : n.state === "draining"
        ? [`${n.id}: draining${why(n)}: keeps its lease and gets peers, handed out to no one.`]
        : [],
  );
}

/** "looping 1800/min /id 2m": a loop of the node's local consumers, its rate, endpoint and age; "-" without one. */
export function consumersCell(c: NodeView["consumers"] | undefined, now: number): string {
  if (!c?.looping) return "-";
  const age = relative(c.since, now).replace(/ ago$/, "");
  return [`looping ${c.requestsPerMinute}/min`, c.endpoint ?? "", c.since ? `for ${age}` : ""].filter(Boolean).join(" ");
}

export function nodesView(nodes: readonly NodeView[], now: number): string {
  if (nodes.length === 0) return "No nodes.";
  const table = renderTable(
    ["ID", "STATE", "READY", "REACHABILITY", "CONSUMERS", "SOURCE", "ADDRS", "LABELS", "EXPIRES", "RENEWED", "REGISTERED", "IP"],
    nodes.map((n) => {
      // A blocked id holds no lease: nothing about a lease, readiness, reachability or consumers is true of it.
      const blocked = n.state === "blocked";
      return [
        n.id,
        n.state,
        blocked ? "-" : n.ready === false ? "no" : "yes",
        blocked ? "-" : reachabilityCell(n.reachability),
        blocked ? "-" : consumersCell(n.consumers, now),
        blocked ? "-" : n.source,
        n.addrs,
        labelLines(n.labels),
        relative(n.expiresAt, now),
        relative(n.lastRenewedAt, now),
        relative(n.registeredAt, now),
        orDash(n.observedIp),
      ];
    }),
  );
  const notes = overrideNotes(nodes);
  return notes.length ? `${table}\n\n${notes.join("\n")}` : table;
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
