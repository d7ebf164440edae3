/** What every view is handed: the API client, what the token may do, and the page's status line. */
import type { Api } from "./api.js";
import { AdminApiError } from "../contract/admin-client.js";
import { type Child, fill, h } from "./dom.js";

export interface Ctx {
  api: Api;
  /** A `read` token: every action is hidden. */
  readOnly: boolean;
  /** May create and delete clusters and list and revoke admin tokens (the ADMIN_TOKEN, or `write` scoped `*`). */
  canManage: boolean;
  /** Says something in the status region (announced to screen readers). */
  notify(message: string, kind?: "ok" | "error"): void;
  /** Aborted when the view is left: long-polls and timers stop with it. */
  signal: AbortSignal;
  /** Re-renders the current route. */
  reload(): void;
}

export const READ_ONLY_REASON = "Signed in with a read-only token: it can look but not change anything, so the actions are hidden. Sign in with a write token to act.";

/**
 * An action button, or nothing where the token may not use it: a read token sees no actions, and
 * only a token that may manage the directory (`manage`) sees creating and deleting clusters.
 */
export function actionButton(
  ctx: Ctx,
  label: string,
  onClick: () => void,
  props: { class?: string; focusKey?: string; accessibleName?: string; needs?: "write" | "manage" } = {},
): HTMLButtonElement | null {
  if (ctx.readOnly || (props.needs === "manage" && !ctx.canManage)) return null;
  return h(
    "button",
    {
      type: "button",
      class: props.class ?? "small",
      "aria-label": props.accessibleName,
      "data-focus": props.focusKey,
      onClick: () => onClick(),
    },
    label,
  );
}

/** Runs an action and says how it went; the error text is the API's own problem detail. */
export async function act(ctx: Ctx, done: string, run: () => Promise<unknown>): Promise<boolean> {
  try {
    await run();
    ctx.notify(done, "ok");
    return true;
  } catch (err) {
    ctx.notify(`Failed: ${describeError(err)}`, "error");
    return false;
  }
}

export function describeError(err: unknown): string {
  if (err instanceof AdminApiError) return err.problem.detail;
  return (err as Error).message ?? String(err);
}

/** An error state that says what to do: retry, or (for 404) go back to the cluster list. */
export function errorState(ctx: Ctx, what: string, err: unknown): HTMLElement {
  const status = err instanceof AdminApiError ? err.status : 0;
  const advice =
    status === 404
      ? h("p", {}, "It may have been deleted. ", h("a", { href: "#/" }, "Back to all clusters"), ".")
      : status === 401
        ? h("p", {}, "The token is no longer accepted (it may have been rotated). Sign out and sign in again.")
        : h("p", {}, h("button", { type: "button", class: "secondary", onClick: () => ctx.reload() }, "Try again"));
  return h("div", { class: "state error", role: "alert" }, h("h2", {}, `Could not load ${what}`), h("p", {}, describeError(err)), advice);
}

export function loading(what: string): HTMLElement {
  return h("p", { class: "state loading", role: "status" }, `Loading ${what}…`);
}

export function replace(el: Element, ...children: Child[]): void {
  fill(el, ...children);
}
