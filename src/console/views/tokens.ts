/** Join tokens: list, create (shown once, with a copy button) and revoke. */
import type { CreatedJoinToken, JoinTokenInfo } from "../../contract/admin.js";
import { abortOn } from "../api.js";
import { bodyOf, clusterParam, joinTokenParam } from "../../contract/admin-client.js";
import type { Ctx } from "../context.js";
import { act, actionButton, errorState, loading } from "../context.js";
import { confirmAction, expiryIso, showSecretOnce } from "../dialog.js";
import { fill, h } from "../dom.js";
import { DataTable } from "../table.js";
import { when } from "../time.js";
import { clusterTabs, revokeButton } from "./common.js";

export async function tokensView(ctx: Ctx, root: HTMLElement, cluster: string): Promise<void> {
  const reload = () => ctx.reload();
  const create = actionButton(
    ctx,
    "Create join token…",
    async () => {
      const values = await confirmAction({
        title: "Create a join token",
        body: h("p", {}, `A new token that lets agents register nodes in ${cluster}. It is shown once, next.`),
        fields: [{ name: "expiresAt", label: "Stops working at", type: "datetime-local", hint: "Your local time. Leave empty for a token that works until revoked." }],
        confirm: "Create",
      });
      if (!values) return;
      let created: CreatedJoinToken | null = null;
      const ok = await act(ctx, "Join token created.", async () => {
        created = await bodyOf(ctx.api.clusters[":cluster"]["join-tokens"].$post({ param: clusterParam(cluster), json: { expiresAt: expiryIso(values.expiresAt) } }));
      });
      if (ok && created) {
        const token = created as CreatedJoinToken;
        await showSecretOnce(`Join token ${token.id}`, h("p", {}, "Put it in a file on each node and start the agent with ", h("code", {}, "--join-token-file"), "."), token.token);
      }
      reload();
    },
    { class: "primary" },
  );
  const table = new DataTable<JoinTokenInfo>({
    caption: `Join tokens of ${cluster}`,
    noun: "join tokens",
    one: "join token",
    placeholder: "id…",
    key: (t) => t.id,
    initialSort: { column: "created", descending: true },
    empty: () => [h("strong", {}, "No join tokens. "), "New nodes cannot register until you create one; nodes already registered keep their own credentials."],
    columns: [
      { id: "id", label: "Id", sort: (t) => t.id, cell: (t) => h("code", {}, t.id) },
      { id: "created", label: "Created", sort: (t) => t.createdAt, cell: (t) => when(t.createdAt) },
      { id: "expires", label: "Stops working", sort: (t) => t.expiresAt ?? "~", cell: (t) => (t.expiresAt ? when(t.expiresAt) : h("span", { class: "muted" }, "when revoked")) },
      {
        id: "actions",
        label: "Actions",
        cell: (t) =>
          revokeButton(ctx, {
            noun: "join token",
            label: t.id,
            key: t.id,
            consequence: "It stops working at once. Nodes already registered keep their credentials.",
            revoke: () => bodyOf(ctx.api.clusters[":cluster"]["join-tokens"][":id"].$delete({ param: joinTokenParam(cluster, t.id) })),
          }),
      },
    ],
  });
  fill(root, h("div", { class: "view-head" }, h("h1", {}, cluster), create), clusterTabs(cluster, "tokens"), loading("join tokens"));
  try {
    const { joinTokens } = await bodyOf(ctx.api.clusters[":cluster"]["join-tokens"].$get({ param: clusterParam(cluster) }, abortOn(ctx.signal)));
    table.setRows(joinTokens);
    root.replaceChild(
      h(
        "section",
        { class: "card" },
        h("h2", {}, "Join tokens"),
        h("p", { class: "muted" }, "The directory keeps only their hashes: a token's secret is shown once, when it is created."),
        table.el,
      ),
      root.lastChild!,
    );
  } catch (err) {
    if (!ctx.signal.aborted) root.replaceChild(errorState(ctx, "the join tokens", err), root.lastChild!);
  }
}
