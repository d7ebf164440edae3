/**
 * Confirmation before every action: a modal `<dialog>` (focus stays inside, Escape cancels)
 * that says what will happen and asks for what the API needs (a reason, an optional expiry).
 * Also the one-time display of a new join token, with a copy button.
 */
import { type Child, h } from "./dom.js";

export interface Field {
  name: string;
  label: string;
  type?: "text" | "datetime-local" | "textarea" | "number";
  required?: boolean;
  hint?: string;
  value?: string;
}

export interface Confirmation {
  title: string;
  body: Child;
  fields?: Field[];
  confirm: string;
  danger?: boolean;
}

/** Shows the dialog; resolves with the fields' values when confirmed, or null when cancelled. */
export function confirmAction(spec: Confirmation): Promise<Record<string, string> | null> {
  return new Promise((resolve) => {
    const id = `dlg-${Math.random().toString(36).slice(2, 8)}`;
    const inputs = (spec.fields ?? []).map((field) => {
      const inputId = `${id}-${field.name}`;
      const hintId = field.hint ? `${inputId}-hint` : undefined;
      const props = { id: inputId, name: field.name, required: field.required, "aria-describedby": hintId, autocomplete: "off", value: field.value };
      const control = field.type === "textarea" ? h("textarea", { ...props, rows: 3 }) : h("input", { ...props, type: field.type ?? "text" });
      return h(
        "div",
        { class: "field" },
        h("label", { for: inputId }, field.label, field.required ? "" : h("span", { class: "muted" }, " (optional)")),
        control,
        field.hint ? h("p", { id: hintId, class: "hint" }, field.hint) : null,
      );
    });
    const error = h("p", { class: "form-error", role: "alert" });
    const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
    const ok = h("button", { type: "submit", class: spec.danger ? "danger" : "primary" }, spec.confirm);
    const form = h(
      "form",
      { method: "dialog" },
      h("h2", { id: `${id}-title` }, spec.title),
      h("div", { class: "dialog-body" }, spec.body),
      inputs,
      error,
      h("div", { class: "dialog-actions" }, cancel, ok),
    );
    const dialog = h("dialog", { "aria-labelledby": `${id}-title` }, form);
    let result: Record<string, string> | null = null;
    cancel.addEventListener("click", () => dialog.close());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values: Record<string, string> = {};
      for (const [k, v] of new FormData(form).entries()) values[k] = String(v).trim();
      for (const field of spec.fields ?? []) {
        if (field.type === "datetime-local" && values[field.name] && Date.parse(values[field.name]) <= Date.now()) {
          error.textContent = `${field.label} must be in the future.`;
          return;
        }
      }
      result = values;
      dialog.close();
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(result);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    (form.querySelector<HTMLElement>("input, textarea") ?? ok).focus();
  });
}

/** Shows a secret exactly once, with a copy button; it is not kept anywhere by the page. */
export function showSecretOnce(title: string, intro: Child, secret: string): Promise<void> {
  return new Promise((resolve) => {
    const id = `secret-${Math.random().toString(36).slice(2, 8)}`;
    const status = h("span", { class: "copy-status", role: "status" });
    const field = h("input", { id, type: "text", readonly: true, value: secret, class: "secret", spellcheck: "false" });
    const copy = h("button", { type: "button", class: "primary" }, "Copy");
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(secret);
        status.textContent = "Copied.";
      } catch {
        field.select();
        status.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
      }
    });
    const done = h("button", { type: "button", class: "secondary" }, "Done");
    const dialog = h(
      "dialog",
      { "aria-labelledby": `${id}-title` },
      h("h2", { id: `${id}-title` }, title),
      h("div", { class: "dialog-body" }, intro),
      h("div", { class: "field" }, h("label", { for: id }, "Join token"), h("div", { class: "secret-row" }, field, copy)),
      status,
      h("p", { class: "warning" }, "This is the only time the token is shown: the directory keeps only its hash."),
      h("div", { class: "dialog-actions" }, done),
    );
    done.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    copy.focus();
  });
}

/** Optional expiry from a datetime-local value (viewer's zone) to ISO 8601, or undefined. */
export function expiryIso(value: string | undefined): string | undefined {
  return value ? new Date(value).toISOString() : undefined;
}
