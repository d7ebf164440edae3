/** Handout preview: pick a node, see exactly the peers it is handed now; follows the cluster live. */
import type { NodeList } from "../../contract/admin.js";
import type { Peer } from "../../contract/schemas.js";
import { abortOn } from "../api.js";
import { bodyOf, nodeParam } from "../../contract/admin-client.js";
import type { Ctx } from "../context.js";
import { errorState } from "../context.js";
import { fill, h } from "../dom.js";
import { DataTable } from "../table.js";
import { clusterTabs, follow, labelsColumn } from "./common.js";

/** The node and limit picker; submitting it moves to that node's preview. */
function pickerForm(cluster: string, limit: string): { form: HTMLFormElement; select: HTMLSelectElement } {
  const select = h("select", { id: "handout-node", name: "node" }, h("option", { value: "" }, "Choose a node…"));
  const limitInput = h("input", { id: "handout-limit", name: "limit", type: "number", min: 1, value: limit, placeholder: "default", class: "narrow" });
  const form = h(
    "form",
    { class: "inline-form" },
    h("div", { class: "field" }, h("label", { for: "handout-node" }, "Node"), select),
    h("div", { class: "field" }, h("label", { for: "handout-limit" }, "Limit"), limitInput),
    h("button", { type: "submit", class: "primary" }, "Show handout"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    if (select.value) q.set("node", select.value);
    if (limitInput.value) q.set("limit", limitInput.value);
    location.hash = `#/c/${encodeURIComponent(cluster)}/handout?${q}`;
  });
  return { form, select };
}

/** The table of the peers handed to `chosen`, numbered by their place in the handout (`order`). */
function peersTable(chosen: string, order: ReadonlyMap<string, number>): DataTable<Peer> {
  return new DataTable<Peer>({
    caption: `Peers handed to ${chosen}`,
    noun: "peers",
    one: "peer",
    placeholder: "id, address, label…",
    key: (p) => p.id,
    empty: () => [h("strong", {}, "No peers. "), `${chosen} is the only node handed out right now: once another node is live (and not blocked or drained), it appears here.`],
    columns: [
      { id: "order", label: "#", cell: (p) => String(order.get(p.id) ?? ""), sort: (p) => order.get(p.id) ?? 0, className: "num" },
      { id: "id", label: "Peer", sort: (p) => p.id, cell: (p) => h("span", { class: "node-id" }, p.id) },
      {
        id: "addrs",
        label: "Addresses",
        text: (p) => p.addrs.join(" "),
        cell: (p) =>
          h(
            "ul",
            { class: "addrs" },
            p.addrs.map((a) => h("li", {}, h("code", {}, a))),
          ),
      },
      labelsColumn((p) => p.labels),
    ],
  });
}

export async function handoutView(ctx: Ctx, root: HTMLElement, cluster: string, params: URLSearchParams): Promise<void> {
  const chosen = params.get("node") ?? "";
  const limit = params.get("limit") ?? "";
  const { form, select } = pickerForm(cluster, limit);
  const live = h("p", { class: "live", role: "status" }, "Connecting…");
  const result = h("section", { class: "card", "aria-labelledby": "handout-title" });
  const order = new Map<string, number>();
  const table = peersTable(chosen, order);
  fill(
    root,
    h("div", { class: "view-head" }, h("h1", {}, cluster)),
    clusterTabs(cluster, "handout"),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Handout preview"),
      h("p", { class: "muted" }, "Exactly what the node receives from its own peers request now, built by the same code."),
      form,
      live,
    ),
    result,
  );
  if (!chosen) fill(result, h("p", { class: "empty" }, "Choose a node above to see the peers it is handed."));
  await follow(ctx, cluster, live, async (view: NodeList) => {
    const ids = [...new Set(view.nodes.map((n) => n.id))].sort();
    if (chosen && !ids.includes(chosen)) ids.unshift(chosen);
    fill(
      select,
      h("option", { value: "" }, "Choose a node…"),
      ids.map((id) => h("option", { value: id, selected: id === chosen }, id)),
    );
    if (!chosen) return;
    try {
      const handout = await bodyOf(
        ctx.api.clusters[":cluster"].nodes[":node"].handout.$get({ param: nodeParam(cluster, chosen), query: { limit: limit || undefined } }, abortOn(ctx.signal)),
      );
      order.clear();
      for (const [i, p] of handout.peers.entries()) order.set(p.id, i + 1);
      table.setRows(handout.peers);
      fill(
        result,
        h(
          "h2",
          { id: "handout-title" },
          `Handed to ${chosen}`,
          h("span", { class: "muted" }, ` · version ${handout.version} · ${handout.peers.length} ${handout.peers.length === 1 ? "peer" : "peers"}`),
        ),
        table.el,
      );
    } catch (err) {
      if (!ctx.signal.aborted) fill(result, errorState(ctx, `the handout of ${chosen}`, err));
    }
  });
}
