/** Named admin tokens: who may use the admin API, with what role and scope; revoke for those who may manage. */
import type { AdminTokenInfo } from "../../contract/admin-tokens.js";
import type { Ctx } from "../context.js";
import { errorState, loading } from "../context.js";
import { fill, h } from "../dom.js";
import { abortOn } from "../api.js";
import { bodyOf, idParam } from "../../contract/admin-client.js";
import { DataTable } from "../table.js";
import { when } from "../time.js";
import { revokeButton } from "./common.js";

const scopeText = (t: AdminTokenInfo) => (t.clusters.length === 1 && t.clusters[0] === "*" ? "every cluster" : t.clusters.join(", "));

export async function adminTokensView(ctx: Ctx, root: HTMLElement): Promise<void> {
  const table = new DataTable<AdminTokenInfo>({
    caption: "Named admin tokens",
    noun: "admin tokens",
    one: "admin token",
    placeholder: "name, cluster…",
    key: (t) => t.id,
    initialSort: { column: "name" },
    empty: () => [h("strong", {}, "No named admin tokens. "), "Mint one with ", h("code", {}, "peerdir token create NAME --role read --cluster '*'"), "."],
    columns: [
      { id: "name", label: "Name", sort: (t) => t.name, cell: (t) => h("strong", {}, t.name) },
      { id: "role", label: "Role", sort: (t) => t.role, cell: (t) => h("span", { class: `badge ${t.role === "write" ? "warn" : "ok"}` }, t.role) },
      { id: "scope", label: "Clusters", text: scopeText, cell: scopeText },
      { id: "id", label: "Id", sort: (t) => t.id, cell: (t) => h("code", {}, t.id) },
      { id: "created", label: "Created", sort: (t) => t.createdAt, cell: (t) => [when(t.createdAt), h("span", { class: "muted" }, ` by ${t.createdBy}`)] },
      { id: "expires", label: "Stops working", sort: (t) => t.expiresAt ?? "~", cell: (t) => (t.expiresAt ? when(t.expiresAt) : h("span", { class: "muted" }, "when revoked")) },
      {
        id: "actions",
        label: "Actions",
        className: "actions",
        cell: (t) =>
          revokeButton(ctx, {
            noun: "admin token",
            label: t.name,
            key: t.id,
            consequence: "It is refused at once here and by every instance of the directory within a minute. Its name may then be used again.",
            revoke: () => bodyOf(ctx.api.tokens[":id"].$delete({ param: idParam(t.id) })),
            needs: "manage",
          }),
      },
    ],
  });
  fill(root, h("div", { class: "view-head" }, h("h1", {}, "Admin tokens")), loading("admin tokens"));
  try {
    const { tokens } = await bodyOf(ctx.api.tokens.$get(undefined, abortOn(ctx.signal)));
    table.setRows(tokens);
    root.replaceChild(
      h(
        "section",
        { class: "card" },
        h(
          "p",
          { class: "muted" },
          "Besides these, the ADMIN_TOKEN acts as ",
          h("code", {}, "root"),
          " and the ADMIN_READ_TOKEN as ",
          h("code", {}, "read"),
          ". The directory keeps only each token's hash; the audit log names the token behind every change.",
        ),
        table.el,
      ),
      root.lastChild!,
    );
  } catch (err) {
    if (!ctx.signal.aborted) root.replaceChild(errorState(ctx, "the admin tokens", err), root.lastChild!);
  }
}
