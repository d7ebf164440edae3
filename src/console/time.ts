/**
 * Times as the viewer reads them: in the browser's own time zone, with the exact ISO 8601 value
 * on hover (the `title`) and in `<time datetime>` for assistive tech. Countdowns and "ago" texts
 * are refreshed by one ticking timer (see `tick`), not by re-rendering tables.
 */
import { h } from "./dom.js";

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export const viewerTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone ?? "local time";

/** "1 h 02 m", "3 m 05 s", "42 s". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(s % 60).padStart(2, "0")} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${String(m % 60).padStart(2, "0")} m`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** An absolute time in the viewer's zone; `null` becomes a dash. */
export function when(iso: string | null): HTMLElement {
  if (!iso) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: iso, title: iso }, absolute.format(new Date(iso)));
}

/** A countdown to `iso` ("in 42 s"), kept current by `tick`. */
export function countdown(iso: string | null): HTMLElement {
  if (!iso) return h("span", { class: "muted" }, "—");
  const el = h("time", { datetime: iso, title: `${iso} (${absolute.format(new Date(iso))})`, "data-countdown": iso });
  render(el, Date.now());
  return el;
}

/** Time since `iso` ("12 s ago"), kept current by `tick`. */
export function ago(iso: string | null): HTMLElement {
  if (!iso) return h("span", { class: "muted" }, "—");
  const el = h("time", { datetime: iso, title: `${iso} (${absolute.format(new Date(iso))})`, "data-ago": iso });
  render(el, Date.now());
  return el;
}

function render(el: HTMLElement, now: number): void {
  const countTo = el.dataset.countdown;
  if (countTo) {
    const left = Date.parse(countTo) - now;
    el.textContent = left > 0 ? duration(left) : "due now";
    el.classList.toggle("due", left <= 0);
    el.classList.toggle("soon", left > 0 && left < 5_000);
    return;
  }
  const since = el.dataset.ago;
  if (since) el.textContent = `${duration(now - Date.parse(since))} ago`;
}

/** Refreshes every countdown and "ago" on the page; the app calls it once a second. */
export function tick(root: ParentNode = document): void {
  const now = Date.now();
  for (const el of root.querySelectorAll<HTMLElement>("[data-countdown], [data-ago]")) render(el, now);
}
