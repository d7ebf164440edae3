/** The clusters view: every cluster with its live nodes, degraded flag and settings; create one. */
import type { ClusterDetail } from "../../contract/admin.js";
import type { CreateClusterResponse } from "../../contract/schemas.js";
import type { Ctx } from "../context.js";
import { act, actionButton, errorState, loading } from "../context.js";
import { confirmAction, showSecretOnce } from "../dialog.js";
import { fill, h } from "../dom.js";
import { abortOn } from "../api.js";
import { bodyOf } from "../../contract/admin-client.js";
import { DataTable } from "../table.js";
import { when } from "../time.js";

export function settingsSummary(s: ClusterDetail["settings"]): string {
  const limit = s.defaultLimit === null ? "all peers" : `${s.defaultLimit} peers`;
  return `TTL ${s.minTtlSeconds}–${s.maxTtlSeconds} s (default ${s.defaultTtlSeconds}) · max ${s.maxNodes.toLocaleString()} nodes · 1 req / ${s.minIntervalSeconds} s · hands out ${limit} · addresses: ${s.addressPolicy} · probes: ${s.probing === "off" ? "off" : s.probeRanges.length ? s.probeRanges.join(", ") : "any"}`;
}

export function degradedBadge(degraded: boolean): HTMLElement {
  return degraded
    ? h("span", { class: "badge warn", title: "Self-preservation: more than half the leases would expire at once, so none are expired until renewals recover." }, "degraded")
    : h("span", { class: "badge ok" }, "healthy");
}

/** How many live nodes' consumers ask for peers in a loop; nothing when none do. */
export function consumerLoopsBadge(count: number): HTMLElement | null {
  if (count === 0) return null;
  return h(
    "span",
    {
      class: "badge warn consumer-loops",
      title: "Live nodes whose agents say their local consumers (spegel, k3s) ask them for peers in a loop, above --consumer-loop-threshold. See the node table.",
    },
    `${count} consumer loop${count === 1 ? "" : "s"}`,
  );
}

export async function clustersView(ctx: Ctx, root: HTMLElement): Promise<void> {
  const create = actionButton(
    ctx,
    "Create cluster…",
    async () => {
      const values = await confirmAction({
        title: "Create a cluster",
        body: h("p", {}, "A new, empty cluster. Its first join token is shown once, next."),
        fields: [{ name: "name", label: "Cluster name", required: true, hint: "Letters, digits, dot, dash, underscore; starts with a letter or digit." }],
        confirm: "Create",
      });
      if (!values) return;
      let created: CreateClusterResponse | null = null;
      const ok = await act(ctx, `Created cluster ${values.name}.`, async () => {
        created = await bodyOf(ctx.api.clusters.$post({ json: { name: values.name } }));
      });
      if (ok && created) {
        const { name, joinToken } = created as CreateClusterResponse;
        await showSecretOnce(`Cluster ${name} created`, h("p", {}, "Give this join token to the nodes' agents (", h("code", {}, "--join-token-file"), ")."), joinToken);
        location.hash = `#/c/${encodeURIComponent(name)}`;
      }
    },
    { class: "primary", needs: "manage" },
  );
  const table = new DataTable<ClusterDetail>({
    caption: "Clusters",
    noun: "clusters",
    one: "cluster",
    placeholder: "name, setting…",
    key: (c) => c.name,
    initialSort: { column: "name" },
    empty: () => [
      h("strong", {}, "No clusters yet. "),
      ctx.canManage ? "Create one with “Create cluster…” above, " : "None is in this token's scope yet; someone with the ADMIN_TOKEN can create one, ",
      "or run ",
      h("code", {}, "peerdir cluster create NAME"),
      ".",
    ],
    columns: [
      { id: "name", label: "Cluster", sort: (c) => c.name, cell: (c) => h("a", { href: `#/c/${encodeURIComponent(c.name)}`, class: "strong" }, c.name) },
      { id: "nodes", label: "Live nodes", sort: (c) => c.nodes, cell: (c) => h("span", { class: "num" }, String(c.nodes)), className: "num" },
      {
        id: "health",
        label: "Health",
        sort: (c) => (c.degraded ? 1 : 0) + c.consumerLoops,
        text: (c) => `${c.degraded ? "degraded" : "healthy"}${c.consumerLoops ? ` ${c.consumerLoops} consumer loops` : ""}`,
        cell: (c) => h("div", { class: "state-cell" }, degradedBadge(c.degraded), consumerLoopsBadge(c.consumerLoops)),
      },
      { id: "settings", label: "Settings", text: (c) => settingsSummary(c.settings), cell: (c) => h("span", { class: "settings" }, settingsSummary(c.settings)) },
      { id: "version", label: "Version", sort: (c) => c.version, cell: (c) => String(c.version), className: "num" },
      { id: "created", label: "Created", sort: (c) => c.createdAt, cell: (c) => when(c.createdAt) },
    ],
  });
  fill(root, h("div", { class: "view-head" }, h("h1", {}, "Clusters"), create), loading("clusters"));
  try {
    const { clusters } = await bodyOf(ctx.api.clusters.$get(undefined, abortOn(ctx.signal)));
    table.setRows(clusters);
    root.replaceChild(h("section", { class: "card" }, table.el), root.lastChild!);
  } catch (err) {
    if (!ctx.signal.aborted) root.replaceChild(errorState(ctx, "the clusters", err), root.lastChild!);
  }
}
