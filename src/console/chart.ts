/** The membership chart: a step line of live nodes over time, drawn as SVG (no library). */
import { h, svg } from "./dom.js";
import type { Point } from "./membership.js";

const H = 180;
const PAD = { left: 40, right: 12, top: 12, bottom: 28 };

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const seconds = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const day = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

/** Drawn at `width` pixels (the box it goes in), so text is never stretched. */
export function membershipChart(points: Point[], caption: string, width: number): HTMLElement {
  const W = Math.max(320, Math.round(width));
  if (points.length < 2) return h("p", { class: "empty" }, "No joins or leaves recorded yet: the chart appears once nodes come and go.");
  const t0 = points[0].t;
  const t1 = Math.max(points[points.length - 1].t, t0 + 1);
  const max = Math.max(1, ...points.map((p) => p.live));
  const x = (t: number) => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (n: number) => PAD.top + (1 - n / max) * (H - PAD.top - PAD.bottom);
  const d = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(p.t).toFixed(1)},${y(p.live).toFixed(1)}`).join(" ");
  const area = `${d} L${x(t1).toFixed(1)},${y(0)} L${x(t0).toFixed(1)},${y(0)} Z`;
  const ticks = max <= 4 ? Array.from({ length: max + 1 }, (_, i) => i) : [0, Math.round(max / 2), max];
  const fmt = t1 - t0 > 86_400_000 ? day : t1 - t0 > 3_600_000 ? clock : seconds;
  const now = points[points.length - 1].live;
  const peak = max;
  const summary = `${caption}: ${now} live now, at most ${peak}, from ${new Date(t0).toISOString()} to ${new Date(t1).toISOString()}.`;
  return h(
    "figure",
    { class: "chart" },
    svg(
      "svg",
      { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": summary, width: W, height: H, class: "chart-svg" },
      svg("title", {}, summary),
      ticks.map((n) => [
        svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(n), y2: y(n), class: "grid" }),
        svg("text", { x: PAD.left - 6, y: y(n) + 4, "text-anchor": "end", class: "axis" }, String(n)),
      ]),
      svg("path", { d: area, class: "area" }),
      svg("path", { d, class: "line" }),
      svg("text", { x: PAD.left, y: H - 8, class: "axis" }, fmt.format(new Date(t0))),
      svg("text", { x: W - PAD.right, y: H - 8, "text-anchor": "end", class: "axis" }, fmt.format(new Date(t1))),
    ),
    h("figcaption", {}, caption),
  );
}
