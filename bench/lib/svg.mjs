/** A small grouped horizontal bar chart as standalone SVG (log scale optional). */
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const COLORS = ["#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b"];

/**
 * @param {{title:string, unit:string, groups:{label:string, bars:{series:string, value:number}[]}[], log?:boolean}} o
 */
export function barChart({ title, unit, groups, log = false }) {
  const series = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.series)))];
  const color = (s) => COLORS[series.indexOf(s) % COLORS.length];
  const values = groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v) => Number.isFinite(v) && v > 0);
  const max = Math.max(...values, 1e-9);
  const min = log ? Math.min(...values, max) : 0;
  const lo = log ? 10 ** Math.floor(Math.log10(min)) : 0;
  const hi = log ? 10 ** Math.ceil(Math.log10(max)) : max * 1.15;
  const left = 150,
    width = 480,
    barH = 14,
    gap = 10,
    top = 40;
  const scale = (v) => {
    if (!Number.isFinite(v) || v <= 0) return 0;
    if (!log) return (v / hi) * width;
    return (Math.max(0, Math.log10(v / lo)) / Math.log10(hi / lo)) * width;
  };
  let y = top;
  const parts = [];
  for (const g of groups) {
    const gh = g.bars.length * barH;
    parts.push(`<text x="${left - 8}" y="${y + gh / 2 + 4}" text-anchor="end" font-size="12">${esc(g.label)}</text>`);
    for (const b of g.bars) {
      const w = Math.max(scale(b.value), b.value > 0 ? 1 : 0);
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${color(b.series)}"><title>${esc(b.series)}: ${esc(b.value)}</title></rect>`);
      parts.push(`<text x="${left + w + 4}" y="${y + barH - 4}" font-size="10">${esc(fmt(b.value))}</text>`);
      y += barH;
    }
    y += gap;
  }
  const axisY = y;
  const ticks = [];
  if (log) for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
  else for (let i = 0; i <= 4; i++) ticks.push((hi * i) / 4);
  for (const t of ticks) {
    const x = left + scale(t || 0);
    parts.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${axisY}" stroke="#ddd"/>`);
    parts.push(`<text x="${x}" y="${axisY + 14}" text-anchor="middle" font-size="10">${esc(fmt(t))}</text>`);
  }
  let lx = left;
  const legend = series.map((s) => {
    const out = `<rect x="${lx}" y="${axisY + 24}" width="10" height="10" fill="${color(s)}"/><text x="${lx + 14}" y="${axisY + 33}" font-size="11">${esc(s)}</text>`;
    lx += 24 + s.length * 7;
    return out;
  });
  const height = axisY + 46;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 90}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>
<text x="${left + width + 80}" y="20" font-size="11" text-anchor="end">${esc(unit)}${log ? " (log scale)" : ""}</text>
${parts.join("\n")}
${legend.join("\n")}
</svg>
`;
}

function fmt(v) {
  if (!Number.isFinite(v)) return "n/a";
  if (v === 0) return "0";
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
  if (Math.abs(v) >= 10) return String(Math.round(v * 10) / 10);
  return String(Math.round(v * 1000) / 1000);
}
