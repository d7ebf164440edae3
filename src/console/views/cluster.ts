/**
 * One cluster, live: its health and settings, the membership chart, and the node table with
 * countdowns, last renewal, transport and override badges, plus every action on a node (each
 * confirmed first). The table follows the cluster through `follow` (long-polls), not reloads.
 */
import type { ClusterDetail, ClusterSettingsPatch, NodeList, NodeView, Override } from "../../contract/admin.js";
import { abortOn } from "../api.js";
import { bodyOf, clusterParam, nodeParam } from "../../contract/admin-client.js";
import { MARK_ACTIONS, type MarkAction, OVERRIDES, PEER_ACTIONS, type PeerAction } from "../../contract/overrides.js";
import { membershipChart } from "../chart.js";
import type { Ctx } from "../context.js";
import { act, actionButton, errorState, loading } from "../context.js";
import { confirmAction, expiryIso } from "../dialog.js";
import { type Child, fill, h } from "../dom.js";
import { membershipSeries } from "../membership.js";
import { type Column, DataTable } from "../table.js";
import { ago, countdown, when } from "../time.js";
import { consumerLoopsBadge, degradedBadge, settingsSummary } from "./clusters.js";
import { clusterTabs, follow, labelsColumn } from "./common.js";

/** A node row: the nodes view joined with the override in force on it, if any. */
export interface NodeRow extends NodeView {
  override: Override | null;
}

const EXPIRY_FIELD = { name: "expiresAt", label: "Lift automatically at", type: "datetime-local" as const, hint: "Your local time. Leave empty to keep it until lifted." };
const REASON_FIELD = { name: "reason", label: "Reason", required: true, hint: "Recorded in the audit log." };

function overrideBadge(row: NodeRow): Child {
  const o = row.override;
  if (!o) return null;
  const until = o.expiresAt ? ` until ${new Date(o.expiresAt).toLocaleString()}` : "";
  const label = OVERRIDES[o.action].done;
  return h("span", { class: `badge ${o.action}`, title: `${label}: ${o.reason}${until}${o.expiresAt ? ` (${o.expiresAt})` : ""}` }, label);
}

/** A node whose local consumers ask its agent for peers in a loop: the rate, endpoint and since when in the title. */
function consumerLoopBadge(row: NodeRow): Child {
  const c = row.consumers;
  if (!c?.looping) return null;
  const since = c.since ? ` since ${new Date(c.since).toLocaleString()}` : "";
  return h(
    "span",
    {
      class: "badge warn consumer-loop",
      title: `Its local consumers ask its agent for peers in a loop: about ${c.requestsPerMinute} requests a minute${c.endpoint ? ` to ${c.endpoint}` : ""}${since}. The agent answers them as usual; check what they cannot connect to.`,
    },
    "consumer loop",
  );
}

function stateCell(row: NodeRow): Child {
  const o = row.override;
  const badge = overrideBadge(row) ?? h("span", { class: "badge ok" }, "active");
  return h("div", { class: "state-cell" }, badge, o ? h("div", { class: "override-note" }, h("span", {}, o.reason), o.expiresAt ? [" · until ", when(o.expiresAt)] : null) : null);
}

function reachCell(r: NodeRow): Child {
  const { state, failedReporters, okReporters, checkedAt } = r.reachability;
  const title = `${failedReporters} peers failed to connect, ${okReporters} connected${checkedAt ? `; last report ${checkedAt}` : ""}`;
  return h(
    "div",
    { class: "state-cell" },
    h("span", { class: `badge reach-${state}`, title }, state),
    r.ready ? null : h("span", { class: "badge warn", title: "Its agent's self-check says its own address does not accept connections" }, "not ready"),
  );
}

/** A row's actions: its handout, lifting its override or setting one, and evicting a live lease. */
function rowActions(ctx: Ctx, cluster: string, r: NodeRow, refresh: () => void): Child {
  const handout = h(
    "a",
    { href: `#/c/${encodeURIComponent(cluster)}/handout?node=${encodeURIComponent(r.id)}`, class: "small link-button", "aria-label": `Handout of ${r.id}` },
    "Handout",
  );
  const overrides = r.override
    ? actionButton(ctx, "Lift", () => lift(ctx, cluster, r, refresh), { focusKey: `lift:${r.id}`, accessibleName: `Lift ${r.override.action} of ${r.id}` })
    : MARK_ACTIONS.map((action) =>
        actionButton(ctx, OVERRIDES[action].verb, () => setOverride(ctx, cluster, r.id, action, refresh), {
          focusKey: `${action}:${r.id}`,
          accessibleName: `${OVERRIDES[action].verb} ${r.id}`,
        }),
      );
  const liveLease = r.source === "lease" && r.expiresAt !== null;
  const evictButton = liveLease
    ? actionButton(ctx, "Evict", () => evict(ctx, cluster, r.id, refresh), { class: "small danger-outline", focusKey: `evict:${r.id}`, accessibleName: `Evict ${r.id}` })
    : null;
  return h("div", { class: "row-actions" }, handout, overrides, evictButton);
}

/** The node table's columns. A later column (say, reachability) is one more entry here. */
export function nodeColumns(ctx: Ctx, cluster: string, refresh: () => void): Column<NodeRow>[] {
  return [
    {
      id: "id",
      label: "Node",
      sort: (r) => r.id,
      text: (r) => `${r.id} ${r.observedIp ?? ""}${r.consumers?.looping ? " consumer loop" : ""}`,
      cell: (r) =>
        h(
          "div",
          {},
          h("span", { class: "node-id" }, r.id),
          consumerLoopBadge(r),
          r.observedIp ? h("div", { class: "muted small", title: "The client IP the directory saw on its last registration or renewal" }, r.observedIp) : null,
        ),
    },
    {
      id: "addrs",
      label: "Addresses",
      text: (r) => r.addrs.join(" "),
      cell: (r) =>
        r.addrs.length
          ? h(
              "ul",
              { class: "addrs" },
              r.addrs.map((a) => h("li", {}, h("code", {}, a))),
            )
          : h("span", { class: "muted" }, "—"),
    },
    { id: "zone", label: "Zone", sort: (r) => r.labels.zone ?? "", cell: (r) => r.labels.zone ?? h("span", { class: "muted" }, "—") },
    labelsColumn((r) => r.labels, ["zone"]),
    {
      id: "state",
      label: "State",
      sort: (r) => `${r.override?.action ?? ""}${r.state}`,
      text: (r) => `${r.state} ${r.source} ${r.override ? `${r.override.action} ${r.override.reason}` : ""}`,
      cell: stateCell,
    },
    {
      id: "lease",
      label: "Lease left",
      sort: (r) => (r.expiresAt ? Date.parse(r.expiresAt) : Number.MAX_SAFE_INTEGER),
      cell: (r) => (r.source === "lease" ? countdown(r.expiresAt) : h("span", { class: "muted" }, `${OVERRIDES[r.source].done}, no lease`)),
    },
    { id: "renewed", label: "Last renewal", sort: (r) => r.lastRenewedAt ?? "", cell: (r) => ago(r.lastRenewedAt) },
    {
      id: "reach",
      label: "Reachability",
      sort: (r) => `${r.ready ? 1 : 0}${r.reachability.state}`,
      text: (r) => `${r.reachability.state}${r.ready ? "" : " not ready"}`,
      cell: reachCell,
    },
    {
      id: "transport",
      label: "Transport",
      sort: (r) => r.transport ?? "~",
      text: (r) => r.transport ?? "",
      cell: (r) =>
        r.transport
          ? h("span", { class: `transport ${r.transport}` }, r.transport)
          : h("span", { class: "muted", title: "No handout read since the directory's object last started" }, "—"),
    },
    {
      id: "actions",
      label: "Actions",
      className: "actions",
      cell: (r) => rowActions(ctx, cluster, r, refresh),
    },
  ];
}

async function setOverride(ctx: Ctx, cluster: string, node: string, action: MarkAction, refresh: () => void): Promise<void> {
  const { verb, effect, done, refuses } = OVERRIDES[action];
  const values = await confirmAction({
    title: `${verb} ${node}?`,
    body: h("p", {}, `${verb} `, h("strong", {}, node), `: ${effect}`),
    fields: [REASON_FIELD, EXPIRY_FIELD],
    confirm: verb,
    danger: refuses,
  });
  if (!values) return;
  await act(ctx, `${node} ${done}.`, () =>
    bodyOf(
      ctx.api.clusters[":cluster"].overrides[":node"].$put({ param: nodeParam(cluster, node), json: { action, reason: values.reason, expiresAt: expiryIso(values.expiresAt) } }),
    ),
  );
  refresh();
}

async function lift(ctx: Ctx, cluster: string, row: NodeRow, refresh: () => void): Promise<void> {
  const o = row.override!;
  const values = await confirmAction({
    title: `Lift the ${o.action} of ${row.id}?`,
    body: h("p", {}, `Set for: “${o.reason}”. Lifting it puts ${row.id} back as its own lease says.`),
    confirm: "Lift",
  });
  if (!values) return;
  await act(ctx, `Lifted the ${o.action} of ${row.id}.`, () => bodyOf(ctx.api.clusters[":cluster"].overrides[":node"].$delete({ param: nodeParam(cluster, row.id) })));
  refresh();
}

async function evict(ctx: Ctx, cluster: string, node: string, refresh: () => void): Promise<void> {
  const values = await confirmAction({
    title: `Evict ${node}?`,
    body: h("p", {}, "Its lease ends now and its credential is retired: its agent must register again with a join token (unless the node is also blocked)."),
    fields: [REASON_FIELD],
    confirm: "Evict",
    danger: true,
  });
  if (!values) return;
  await act(ctx, `${node} evicted.`, () => bodyOf(ctx.api.clusters[":cluster"].nodes[":node"].evict.$post({ param: nodeParam(cluster, node), json: { reason: values.reason } })));
  refresh();
}

async function setPeer(ctx: Ctx, cluster: string, action: PeerAction, refresh: () => void): Promise<void> {
  const { verb, effect, done } = OVERRIDES[action];
  const values = await confirmAction({
    title: `${verb} a static peer`,
    body: h("p", {}, `${verb} a node id: ${effect}`),
    fields: [
      { name: "node", label: "Node id", required: true },
      { name: "addrs", label: "Addresses", type: "textarea", required: true, hint: "Multiaddrs, one per line, e.g. /ip4/10.0.0.5/tcp/5001" },
      REASON_FIELD,
      EXPIRY_FIELD,
    ],
    confirm: verb,
  });
  if (!values) return;
  const addrs = values.addrs.split(/\s+/).filter(Boolean);
  await act(ctx, `${values.node} ${done}.`, () =>
    bodyOf(
      ctx.api.clusters[":cluster"].overrides[":node"].$put({
        param: nodeParam(cluster, values.node),
        json: { action, addrs, reason: values.reason, expiresAt: expiryIso(values.expiresAt) },
      }),
    ),
  );
  refresh();
}

async function editSettings(ctx: Ctx, cluster: string, current: ClusterDetail["settings"], refresh: () => void): Promise<void> {
  const numeric = ["minTtlSeconds", "defaultTtlSeconds", "maxTtlSeconds", "maxNodes", "minIntervalSeconds"] as const;
  const values = await confirmAction({
    title: `Settings of ${cluster}`,
    body: h("p", {}, "Change any of them; the others stay. Each change is audited."),
    fields: [
      ...numeric.map((name) => ({ name, label: name, type: "number" as const, required: true, value: String(current[name]) })),
      {
        name: "defaultLimit",
        label: "defaultLimit",
        type: "number" as const,
        value: current.defaultLimit === null ? "" : String(current.defaultLimit),
        hint: "Empty: hand out every peer.",
      },
      { name: "addressPolicy", label: "addressPolicy", required: true, value: current.addressPolicy, hint: "any, or observed-ip" },
      { name: "probing", label: "probing", required: true, value: current.probing, hint: "on, or off: the agents probe no peer" },
      { name: "probeRanges", label: "probeRanges", value: current.probeRanges.join(", "), hint: "CIDR ranges the agents may probe, comma-separated. Empty: any address." },
    ],
    confirm: "Save",
  });
  if (!values) return;
  const patch: Record<string, unknown> = {};
  for (const name of numeric) if (Number(values[name]) !== current[name]) patch[name] = Number(values[name]);
  const limit = values.defaultLimit === "" ? null : Number(values.defaultLimit);
  if (limit !== current.defaultLimit) patch.defaultLimit = limit;
  if (values.addressPolicy !== current.addressPolicy) patch.addressPolicy = values.addressPolicy;
  if (values.probing !== current.probing) patch.probing = values.probing;
  const ranges = values.probeRanges
    .split(",")
    .map((r) => r.trim())
    .filter((r) => r !== "");
  if (ranges.join(",") !== current.probeRanges.join(",")) patch.probeRanges = ranges;
  if (Object.keys(patch).length === 0) return ctx.notify("Nothing changed.");
  await act(ctx, "Settings saved.", () => bodyOf(ctx.api.clusters[":cluster"].$patch({ param: clusterParam(cluster), json: patch as ClusterSettingsPatch })));
  refresh();
}

/** Live nodes now: leases that have not ended and are not blocked (pins have no lease). */
const liveNodes = (nodes: readonly NodeView[]) => nodes.filter((n) => n.source === "lease" && n.expiresAt !== null && n.state !== "blocked");
const liveCount = (nodes: readonly NodeView[]) => liveNodes(nodes).length;

/** The node table, empty until the follow loop fills it. */
function nodeTable(ctx: Ctx, cluster: string, refresh: () => void): DataTable<NodeRow> {
  return new DataTable<NodeRow>({
    caption: `Nodes of ${cluster}`,
    noun: "nodes",
    one: "node",
    placeholder: "id, address, label, state, transport…",
    key: (r) => `${r.id}/${r.source}`,
    initialSort: { column: "id" },
    rowClass: (r) => (r.override ? `row-${r.override.action}` : undefined),
    empty: () => [
      h("strong", {}, "No nodes yet. "),
      "Start an agent with this cluster's join token (",
      h("a", { href: `#/c/${encodeURIComponent(cluster)}/tokens` }, "Join tokens"),
      "): ",
      h("code", {}, `peerdir-agent --cluster ${cluster} --join-token-file …`),
      ". It appears here as soon as it registers.",
    ],
    columns: nodeColumns(ctx, cluster, refresh),
  });
}

/**
 * Draws the membership chart from the audit log into `box`: at most once per 5 s however fast
 * the cluster changes, and always once more after the last change.
 */
function chartDrawer(ctx: Ctx, cluster: string, box: HTMLElement, nodes: () => readonly NodeView[]): () => Promise<void> {
  let chartAt = 0;
  let chartTimer: ReturnType<typeof setTimeout> | undefined;
  ctx.signal.addEventListener("abort", () => clearTimeout(chartTimer));
  const draw = async (): Promise<void> => {
    const wait = chartAt + 5000 - Date.now();
    if (wait > 0) {
      chartTimer ??= setTimeout(() => {
        chartTimer = undefined;
        void draw();
      }, wait);
      return;
    }
    chartAt = Date.now();
    try {
      const page = await bodyOf(ctx.api.clusters[":cluster"].audit.$get({ param: clusterParam(cluster), query: { limit: "1000" } }, abortOn(ctx.signal)));
      const series = membershipSeries(page.entries, liveCount(nodes()), Date.now());
      fill(box, h("h2", { id: "chart-title" }, "Live nodes over time"), membershipChart(series, "Live nodes, from the last 1,000 audit entries", box.clientWidth - 40));
    } catch (err) {
      if (!ctx.signal.aborted) fill(box, h("h2", { id: "chart-title" }, "Live nodes over time"), errorState(ctx, "the audit log for the chart", err));
    }
  };
  return draw;
}

export async function clusterView(ctx: Ctx, root: HTMLElement, cluster: string): Promise<void> {
  fill(root, h("div", { class: "view-head" }, h("h1", {}, cluster)), clusterTabs(cluster, "nodes"), loading("the cluster"));
  let detail: ClusterDetail;
  try {
    detail = await bodyOf(ctx.api.clusters[":cluster"].$get({ param: clusterParam(cluster) }, abortOn(ctx.signal)));
  } catch (err) {
    if (!ctx.signal.aborted) fill(root, h("div", { class: "view-head" }, h("h1", {}, cluster)), errorState(ctx, `cluster ${cluster}`, err));
    return;
  }
  const live = h("p", { class: "live", role: "status" }, "Connecting…");
  const health = h("span", {}, degradedBadge(detail.degraded));
  const settings = h("p", { class: "settings" }, settingsSummary(detail.settings));
  const chartBox = h("section", { class: "card", "aria-labelledby": "chart-title" }, h("h2", { id: "chart-title" }, "Live nodes over time"), loading("the chart"));
  // An action wakes the follow loop at once instead of waiting out its long-poll.
  let inner: AbortController | null = null;
  const refresh = () => inner?.abort();
  const table = nodeTable(ctx, cluster, refresh);
  const toolbar = h(
    "div",
    { class: "toolbar" },
    ...PEER_ACTIONS.map((action) => actionButton(ctx, `${OVERRIDES[action].verb} a peer…`, () => setPeer(ctx, cluster, action, refresh), { class: "secondary" })),
    actionButton(ctx, "Settings…", () => editSettings(ctx, cluster, detail.settings, refresh), { class: "secondary" }),
  );
  fill(
    root,
    h("div", { class: "view-head" }, h("h1", {}, cluster), health, toolbar),
    settings,
    clusterTabs(cluster, "nodes"),
    chartBox,
    h("section", { class: "card", "aria-labelledby": "nodes-title" }, h("div", { class: "section-head" }, h("h2", { id: "nodes-title" }, "Nodes"), live), table.el),
  );

  let latest: NodeList | null = null;
  const drawChart = chartDrawer(ctx, cluster, chartBox, () => latest?.nodes ?? []);
  ctx.signal.addEventListener("abort", () => inner?.abort());
  while (!ctx.signal.aborted) {
    inner = new AbortController();
    const both = AbortSignal.any([ctx.signal, inner.signal]);
    await follow({ ...ctx, signal: both }, cluster, live, async (view, changed) => {
      const [{ overrides }, fresh] = await Promise.all([
        bodyOf(ctx.api.clusters[":cluster"].overrides.$get({ param: clusterParam(cluster) }, abortOn(both))),
        changed ? bodyOf(ctx.api.clusters[":cluster"].$get({ param: clusterParam(cluster) }, abortOn(both))) : Promise.resolve(detail),
      ]);
      detail = fresh;
      // Loops do not move the version: counted from the view itself, which every follow brings.
      fill(health, degradedBadge(detail.degraded), consumerLoopsBadge(liveNodes(view.nodes).filter((n) => n.consumers?.looping).length));
      settings.textContent = settingsSummary(detail.settings);
      const byNode = new Map(overrides.map((o) => [o.node, o]));
      table.setRows(view.nodes.map((n) => ({ ...n, override: byNode.get(n.id) ?? null })));
      latest = view;
      if (changed) void drawChart();
    });
  }
}
