/**
 * Plain-text layout for terminals: aligned tables (a cell may span several lines, one per address
 * or label) and aligned key/value blocks.
 *
 * Everything printed goes through `clean`: labels, addresses and reasons come from nodes and
 * operators, and a control character in them must not reach the terminal as an escape sequence.
 */

export type Cell = string | readonly string[];

// C0 and C1 controls, DEL, and the bidirectional overrides that can reorder what a line appears to say.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this pattern's purpose
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function clean(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    if (ch === "\n") return "\\n";
    if (ch === "\t") return "\\t";
    if (ch === "\r") return "\\r";
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

const width = (s: string) => [...s].length;
const pad = (s: string, n: number) => s + " ".repeat(Math.max(0, n - width(s)));

function lines(cell: Cell): string[] {
  const list = typeof cell === "string" ? [cell] : cell.length > 0 ? [...cell] : ["-"];
  return list.map((l) => clean(l));
}

/** Columns separated by two spaces, a header row, no trailing whitespace. */
export function renderTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const body = rows.map((row) => row.map(lines));
  const widths = headers.map((h, c) => Math.max(width(h), ...body.map((row) => Math.max(...row[c].map(width)))));
  const out: string[] = [];
  const emit = (cells: string[]) =>
    out.push(
      cells
        .map((s, c) => (c === cells.length - 1 ? s : pad(s, widths[c])))
        .join("  ")
        .trimEnd(),
    );
  emit([...headers]);
  for (const row of body) {
    const height = Math.max(...row.map((cell) => cell.length));
    for (let i = 0; i < height; i++) emit(row.map((cell) => cell[i] ?? ""));
  }
  return out.join("\n");
}

/** `key  value` lines with the values aligned; a list value continues on the following lines. */
export function renderFields(fields: readonly (readonly [string, Cell])[]): string {
  const keyWidth = Math.max(...fields.map(([k]) => width(k)));
  const out: string[] = [];
  for (const [key, value] of fields) {
    for (const [i, line] of lines(value).entries()) out.push(`${pad(i === 0 ? key : "", keyWidth)}  ${line}`.trimEnd());
  }
  return out.join("\n");
}
