/** What every view is handed: the API client, what the token may do, and the page's status line. */
import type { Api } from "./api.js";
import { ApiError } from "./api.js";
import { type Child, fill, h } from "./dom.js";

export interface Ctx {
  api: Api;
  readOnly: boolean;
  /** Says something in the status region (announced to screen readers). */
  notify(message: string, kind?: "ok" | "error"): void;
  /** Aborted when the view is left: long-polls and timers stop with it. */
  signal: AbortSignal;
  /** Re-renders the current route. */
  reload(): void;
}

export const READ_ONLY_REASON = "Signed in with the read-only token (ADMIN_READ_TOKEN): it can look but not change anything. Sign in with the ADMIN_TOKEN to act.";

/** An action button: disabled, with the reason on it, for the read-only token. */
export function actionButton(ctx: Ctx, label: string, onClick: () => void, props: { class?: string; focusKey?: string; accessibleName?: string } = {}): HTMLButtonElement {
  return h(
    "button",
    {
      type: "button",
      class: props.class ?? "small",
      disabled: ctx.readOnly,
      title: ctx.readOnly ? READ_ONLY_REASON : undefined,
      "aria-describedby": ctx.readOnly ? "read-only-reason" : undefined,
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
  if (err instanceof ApiError) return err.message;
  return (err as Error).message ?? String(err);
}

/** An error state that says what to do: retry, or (for 404) go back to the cluster list. */
export function errorState(ctx: Ctx, what: string, err: unknown): HTMLElement {
  const status = err instanceof ApiError ? err.status : 0;
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
