/**
 * A sortable, filterable table. Sorting is by the column header buttons (aria-sort says the
 * order), filtering by one text box over what each row shows. New rows can arrive at any time
 * (the node table follows the cluster live): the sort, the filter and the keyboard focus survive.
 * Columns are plain data, so a view adds one (say, reachability) by adding an entry.
 */
import { type Child, fill, h } from "./dom.js";

export interface Column<T> {
  id: string;
  label: string;
  /** The cell's content. */
  cell: (row: T) => Child;
  /** What the column sorts by; a column without one is not sortable. */
  sort?: (row: T) => string | number;
  /** Text the filter box matches against (defaults to the sort value). */
  text?: (row: T) => string;
  className?: string;
}

export interface TableOptions<T> {
  /** Names the table for screen readers, and its filter box ("Filter nodes"). */
  caption: string;
  noun: string;
  /** The noun for one row ("node"); the count says "1 node", not "1 nodes". */
  one: string;
  columns: Column<T>[];
  key: (row: T) => string;
  /** What to say when there are no rows at all: what the reader can do about it. */
  empty: () => Child;
  initialSort?: { column: string; descending?: boolean };
  rowClass?: (row: T) => string | undefined;
  /** The filter box's placeholder: what it searches. */
  placeholder?: string;
}

export class DataTable<T> {
  readonly el: HTMLElement;
  #rows: T[] = [];
  #sort: { column: string; descending: boolean } | null;
  #filter = "";
  readonly #body = h("tbody");
  readonly #head = h("tr");
  readonly #count = h("span", { class: "count", "aria-live": "polite" });
  readonly #options: TableOptions<T>;

  constructor(options: TableOptions<T>) {
    this.#options = options;
    this.#sort = options.initialSort ? { column: options.initialSort.column, descending: options.initialSort.descending ?? false } : null;
    const filterId = `filter-${options.noun.replace(/\W+/g, "-")}-${Math.random().toString(36).slice(2, 7)}`;
    const input = h("input", { id: filterId, type: "search", placeholder: options.placeholder ?? "any text in the table", autocomplete: "off" });
    input.addEventListener("input", () => {
      this.#filter = input.value.trim().toLowerCase();
      this.#render();
    });
    this.el = h(
      "div",
      { class: "table-block" },
      h("div", { class: "table-tools" }, h("label", { for: filterId }, `Filter ${options.noun}`), input, this.#count),
      h("div", { class: "table-scroll" }, h("table", {}, h("caption", { class: "sr-only" }, options.caption), h("thead", {}, this.#head), this.#body)),
    );
    this.#renderHead();
  }

  setRows(rows: T[]): void {
    this.#rows = rows;
    this.#render();
  }

  #renderHead(): void {
    fill(
      this.#head,
      this.#options.columns.map((col) => {
        const active = this.#sort?.column === col.id;
        const ariaSort = active ? (this.#sort!.descending ? "descending" : "ascending") : col.sort ? "none" : undefined;
        if (!col.sort) return h("th", { scope: "col", class: col.className }, col.label);
        const arrow = active ? (this.#sort!.descending ? "▼" : "▲") : "↕";
        return h(
          "th",
          { scope: "col", "aria-sort": ariaSort, class: col.className },
          h(
            "button",
            {
              type: "button",
              class: "sort",
              "data-focus": `sort:${col.id}`,
              onClick: () => {
                this.#sort = { column: col.id, descending: active ? !this.#sort!.descending : false };
                this.#renderHead();
                this.#render();
                this.#head.querySelector<HTMLElement>(`[data-focus="sort:${col.id}"]`)?.focus();
              },
            },
            col.label,
            h("span", { class: "arrow", "aria-hidden": "true" }, arrow),
          ),
        );
      }),
    );
  }

  #visible(): T[] {
    const { columns } = this.#options;
    let rows = this.#rows;
    if (this.#filter) {
      rows = rows.filter((row) => columns.some((col) => (col.text?.(row) ?? String(col.sort?.(row) ?? "")).toLowerCase().includes(this.#filter)));
    }
    const sortCol = columns.find((c) => c.id === this.#sort?.column);
    if (sortCol?.sort) {
      const by = sortCol.sort;
      const dir = this.#sort!.descending ? -1 : 1;
      rows = [...rows].sort((a, b) => {
        const x = by(a);
        const y = by(b);
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
    }
    return rows;
  }

  #render(): void {
    // Keep the keyboard where it was: rows are rebuilt, focus returns to the same control.
    const focused = document.activeElement instanceof HTMLElement && this.#body.contains(document.activeElement) ? document.activeElement.dataset.focus : undefined;
    const { columns, key, noun } = this.#options;
    const rows = this.#visible();
    if (this.#rows.length === 0) {
      fill(this.#body, h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, this.#options.empty())));
    } else if (rows.length === 0) {
      fill(this.#body, h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, `No ${noun} match “${this.#filter}”. Clear the filter to see all ${this.#rows.length}.`)));
    } else {
      fill(
        this.#body,
        rows.map((row) =>
          h(
            "tr",
            { "data-key": key(row), class: this.#options.rowClass?.(row) },
            columns.map((col) => h("td", { class: col.className, "data-label": col.label }, col.cell(row))),
          ),
        ),
      );
    }
    const total = this.#rows.length;
    const word = total === 1 ? this.#options.one : noun;
    this.#count.textContent = this.#filter ? `${rows.length} of ${total} ${word}` : `${total} ${word}`;
    if (focused) this.#body.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
  }
}
