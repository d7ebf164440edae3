/**
 * Pieces the views share: the tab bar, the labels column, following a cluster's version live, and
 * revoking a token after confirmation.
 */
import type { NodeList } from "../../contract/admin.js";
import { abortOn } from "../api.js";
import { bodyOf, clusterParam } from "../../contract/admin-client.js";
import type { Ctx } from "../context.js";
import { act, actionButton, describeError } from "../context.js";
import { confirmAction } from "../dialog.js";
import { h } from "../dom.js";
import type { Column } from "../table.js";

const TABS = [
  ["nodes", "Nodes", ""],
  ["handout", "Handout preview", "/handout"],
  ["tokens", "Join tokens", "/tokens"],
  ["audit", "Audit log", "/audit"],
] as const;

export function clusterTabs(cluster: string, active: (typeof TABS)[number][0]): HTMLElement {
  const base = `#/c/${encodeURIComponent(cluster)}`;
  return h(
    "nav",
    { class: "tabs", "aria-label": `Cluster ${cluster}` },
    TABS.map(([id, label, suffix]) => h("a", { href: base + suffix, "aria-current": id === active ? "page" : undefined }, label)),
  );
}

/**
 * A row's labels as `key=value` chips, but those in `omit` (shown in a column of their own); the
 * filter box matches every label.
 */
export function labelsColumn<T>(labels: (row: T) => Record<string, string>, omit: readonly string[] = []): Column<T> {
  const pairs = (row: T, keep: (key: string) => boolean) =>
    Object.entries(labels(row))
      .filter(([k]) => keep(k))
      .map(([k, v]) => `${k}=${v}`);
  return {
    id: "labels",
    label: "Labels",
    text: (row) => pairs(row, () => true).join(" "),
    cell: (row) => {
      const shown = pairs(row, (k) => !omit.includes(k));
      return shown.length === 0
        ? h("span", { class: "muted" }, "—")
        : h(
            "ul",
            { class: "chips" },
            shown.map((pair) => h("li", {}, pair)),
          );
    },
  };
}

/** How long each long-poll is held: short enough that renewals (which move no version) show within it. */
const WAIT_SECONDS = 10;

/**
 * Follows the cluster: calls `onView` with the nodes view at once, then again each time the
 * cluster's version moves (a long-poll held by the directory) or the wait ends. On failure it
 * says so on `live` and retries with jittered backoff; it stops when the view is left.
 */
export async function follow(ctx: Ctx, cluster: string, live: HTMLElement, onView: (view: NodeList, changed: boolean) => Promise<void> | void): Promise<void> {
  let version: number | null = null;
  let failures = 0;
  while (!ctx.signal.aborted) {
    try {
      const view: NodeList = await bodyOf(
        ctx.api.clusters[":cluster"].nodes.$get(
          { param: clusterParam(cluster), query: version === null ? {} : { wait: String(WAIT_SECONDS), since: String(version) } },
          abortOn(ctx.signal),
        ),
      );
      const changed = view.version !== version;
      version = view.version;
      failures = 0;
      await onView(view, changed);
      live.className = "live on";
      live.textContent = `Live · version ${view.version} · checked ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      if (ctx.signal.aborted) return;
      failures++;
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(failures, 5)) * (0.5 + Math.random() / 2);
      live.className = "live off";
      live.textContent = `Not following: ${describeError(err)} Retrying in ${Math.ceil(delay / 1000)} s.`;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** A token's "Revoke" button: asks first (saying what revoking does), revokes, then reloads the view. */
export function revokeButton(
  ctx: Ctx,
  token: { noun: string; label: string; key: string; consequence: string; revoke: () => Promise<unknown>; needs?: "write" | "manage" },
): HTMLButtonElement | null {
  return actionButton(
    ctx,
    "Revoke",
    async () => {
      const values = await confirmAction({ title: `Revoke ${token.noun} ${token.label}?`, body: h("p", {}, token.consequence), confirm: "Revoke", danger: true });
      if (!values) return;
      await act(ctx, `${token.noun[0].toUpperCase()}${token.noun.slice(1)} ${token.label} revoked.`, token.revoke);
      ctx.reload();
    },
    { class: "small danger-outline", accessibleName: `Revoke ${token.noun} ${token.label}`, focusKey: `revoke:${token.key}`, needs: token.needs },
  );
}
