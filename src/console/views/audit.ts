/** The audit log: newest first, filtered by action, node and actor, paged by the API's cursor. */
import type { AuditEntry } from "../../contract/admin.js";
import { abortOn } from "../api.js";
import { bodyOf, clusterParam } from "../../contract/admin-client.js";
import type { Ctx } from "../context.js";
import { errorState, loading } from "../context.js";
import { fill, h } from "../dom.js";
import { DataTable } from "../table.js";
import { when } from "../time.js";
import { clusterTabs } from "./common.js";

export const AUDIT_ACTIONS = [
  "cluster.create",
  "cluster.update",
  "cluster.degraded",
  "cluster.recovered",
  "join-token.create",
  "join-token.revoke",
  "node.join",
  "node.update",
  "node.leave",
  "node.expire",
  "node.evict",
  "node.credential-revoke",
  "override.set",
  "override.lift",
  "override.expire",
];

const PAGE = 50;

function change(entry: AuditEntry): HTMLElement | string {
  if (!entry.before && !entry.after) return "";
  return h("details", {}, h("summary", {}, "Before / after"), h("pre", {}, JSON.stringify({ before: entry.before, after: entry.after }, null, 2)));
}

export async function auditView(ctx: Ctx, root: HTMLElement, cluster: string, params: URLSearchParams): Promise<void> {
  const action = params.get("action") ?? "";
  const node = params.get("node") ?? "";
  const actor = params.get("actor") ?? "";
  const cursor = params.get("cursor") ?? "";
  const base = `#/c/${encodeURIComponent(cluster)}/audit`;
  const link = (q: Record<string, string>) => `${base}?${new URLSearchParams(Object.entries(q).filter(([, v]) => v))}`;

  const actionSelect = h(
    "select",
    { id: "audit-action", name: "action" },
    h("option", { value: "" }, "Any action"),
    AUDIT_ACTIONS.map((a) => h("option", { value: a, selected: a === action }, a)),
  );
  const nodeInput = h("input", { id: "audit-node", name: "node", type: "text", value: node, placeholder: "any node", autocomplete: "off" });
  const actorInput = h("input", { id: "audit-actor", name: "actor", type: "text", value: actor, placeholder: "any actor", autocomplete: "off" });
  const form = h(
    "form",
    { class: "inline-form", role: "search", "aria-label": "Filter the audit log" },
    h("div", { class: "field" }, h("label", { for: "audit-action" }, "Action"), actionSelect),
    h("div", { class: "field" }, h("label", { for: "audit-node" }, "Node"), nodeInput),
    h("div", { class: "field" }, h("label", { for: "audit-actor", title: "An admin token's name (root for the ADMIN_TOKEN), a node id, or alarm" }, "By"), actorInput),
    h("button", { type: "submit", class: "primary" }, "Apply"),
    action || node || actor ? h("a", { href: base, class: "link-button" }, "Clear filters") : null,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = link({ action: actionSelect.value, node: nodeInput.value.trim(), actor: actorInput.value.trim() });
  });

  const filtered = action || node || actor;
  const table = new DataTable<AuditEntry>({
    caption: `Audit log of ${cluster}`,
    noun: "entries",
    one: "entry",
    placeholder: "actor, action, node, reason…",
    key: (e) => String(e.seq),
    initialSort: { column: "seq", descending: true },
    empty: () => (filtered ? [h("strong", {}, "No entries match. "), h("a", { href: base }, "Clear the filters"), " or choose another action or node."] : "Nothing recorded yet."),
    columns: [
      { id: "seq", label: "#", sort: (e) => e.seq, cell: (e) => String(e.seq), className: "num" },
      { id: "at", label: "When", sort: (e) => e.at, cell: (e) => when(e.at) },
      {
        id: "actor",
        label: "By",
        sort: (e) => `${e.actor.kind}:${e.actor.id}`,
        cell: (e) =>
          h("span", {}, h("span", { class: "muted" }, `${e.actor.kind} `), h("a", { href: link({ actor: e.actor.id }), title: `Only entries by ${e.actor.id}` }, e.actor.id)),
      },
      { id: "action", label: "Action", sort: (e) => e.action, cell: (e) => h("span", { class: `action ${e.action.split(".")[0]}` }, e.action) },
      { id: "node", label: "Node", sort: (e) => e.node ?? "", cell: (e) => (e.node ? h("a", { href: link({ node: e.node }) }, e.node) : h("span", { class: "muted" }, "—")) },
      { id: "reason", label: "Reason", text: (e) => e.reason ?? "", cell: (e) => e.reason ?? h("span", { class: "muted" }, "—") },
      { id: "change", label: "Change", text: (e) => JSON.stringify([e.before, e.after]), cell: change },
    ],
  });

  const pager = h("nav", { class: "pager", "aria-label": "Audit pages" });
  fill(
    root,
    h("div", { class: "view-head" }, h("h1", {}, cluster)),
    clusterTabs(cluster, "audit"),
    h("section", { class: "card" }, h("h2", {}, "Audit log"), form, loading("the audit log")),
  );
  const card = root.lastChild as HTMLElement;
  try {
    const page = await bodyOf(
      ctx.api.clusters[":cluster"].audit.$get(
        {
          param: clusterParam(cluster),
          query: { limit: String(PAGE), cursor: cursor || undefined, action: action || undefined, node: node || undefined, actor: actor || undefined },
        },
        abortOn(ctx.signal),
      ),
    );
    table.setRows(page.entries);
    fill(
      pager,
      cursor ? h("a", { href: link({ action, node, actor }), class: "link-button" }, "← Newest") : null,
      page.next
        ? h("a", { href: link({ action, node, actor, cursor: page.next }), class: "link-button" }, "Older →")
        : h("span", { class: "muted" }, cursor || page.entries.length ? "End of the log." : ""),
    );
    card.replaceChild(table.el, card.lastChild!);
    card.append(pager);
  } catch (err) {
    if (!ctx.signal.aborted) card.replaceChild(errorState(ctx, "the audit log", err), card.lastChild!);
  }
}
