/**
 * The operator console's entry: sign-in, the page frame and the hash router. The admin token
 * lives in sessionStorage only (gone when the tab closes) and is sent only in the Authorization
 * header; the page itself is static and same-origin.
 */
import { AdminApiError, bodyOf } from "../contract/admin-client.js";
import { type Api, consoleApi } from "./api.js";
import type { AdminSession } from "../contract/admin-tokens.js";
import { type Ctx, READ_ONLY_REASON } from "./context.js";
import { fill, h } from "./dom.js";
import { tick, viewerTimeZone } from "./time.js";
import { auditView } from "./views/audit.js";
import { clusterView } from "./views/cluster.js";
import { clustersView } from "./views/clusters.js";
import { handoutView } from "./views/handout.js";
import { adminTokensView } from "./views/admin-tokens.js";
import { tokensView } from "./views/tokens.js";

declare const __PEERDIR_VERSION__: string;

const TOKEN_KEY = "peerdir.adminToken";
const app = document.getElementById("app")!;

interface Session extends AdminSession {
  api: Api;
}

let current: AbortController | null = null;

function signInForm(message?: string): void {
  current?.abort();
  const error = h("p", { class: "form-error", role: "alert", id: "signin-error" }, message ?? "");
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    required: true,
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "token-hint signin-error",
  });
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "signin" },
    h("h1", {}, "peerdir console"),
    h("p", {}, "Sign in with an admin token of this directory."),
    h("div", { class: "field" }, h("label", { for: "token" }, "Admin token"), input),
    h(
      "p",
      { id: "token-hint", class: "hint" },
      "Any admin token: the ADMIN_TOKEN, the ADMIN_READ_TOKEN, or a named token (peerdir token create); you see and may do what it allows. Running locally with ",
      h("code", {}, "npm start"),
      "? It is ADMIN_TOKEN in ",
      h("code", {}, ".dev.vars"),
      ". The token stays in this tab only.",
    ),
    error,
    button,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    button.disabled = true;
    error.textContent = "";
    try {
      const session = await open(token);
      sessionStorage.setItem(TOKEN_KEY, token);
      start(session);
    } catch (err) {
      error.textContent =
        err instanceof AdminApiError && (err.status === 401 || err.status === 403)
          ? "That is not an admin token of this directory. Check it and try again."
          : `Could not sign in: ${(err as Error).message}`;
      button.disabled = false;
      input.focus();
    }
  });
  fill(app, h("main", { id: "main", class: "signin-page" }, form));
  input.focus();
}

async function open(token: string): Promise<Session> {
  const api = consoleApi(token);
  return { api, ...(await bodyOf(api.session.$get())) };
}

function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  location.hash = "#/";
  signInForm();
}

function start(session: Session): void {
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const view = h("main", { id: "main", tabindex: "-1" });
  const crumbs = h("nav", { "aria-label": "Breadcrumb", class: "crumbs" });
  const readOnly = session.role === "read";
  const everyCluster = session.clusters.length === 1 && session.clusters[0] === "*";
  const scope = everyCluster ? "all clusters" : `${session.clusters.length === 1 ? "cluster" : "clusters"} ${session.clusters.join(", ")}`;
  fill(
    app,
    h("a", { href: "#main", class: "skip" }, "Skip to content"),
    h(
      "header",
      { class: "top" },
      h("a", { href: "#/", class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }, "◆"), "peerdir"),
      crumbs,
      h(
        "div",
        { class: "who" },
        everyCluster ? h("a", { href: "#/tokens", class: "nav-link" }, "Admin tokens") : null,
        h(
          "span",
          { class: "signed-in", title: `Signed in as admin token ${session.name}: ${session.role} on ${scope}` },
          h("span", { class: "token-name" }, session.name),
          " ",
          h("span", { class: `role ${session.role}` }, readOnly ? "read-only" : "write"),
          " ",
          h("span", { class: "scope" }, scope),
        ),
        h("span", { class: "tz", title: "Times are shown in your time zone; hover a time for ISO 8601." }, viewerTimeZone()),
        h("button", { type: "button", class: "secondary small", onClick: signOut }, "Sign out"),
      ),
    ),
    readOnly ? h("p", { id: "read-only-reason", class: "banner" }, READ_ONLY_REASON) : null,
    view,
    status,
    h("footer", {}, `peerdir ${__PEERDIR_VERSION__}`),
  );

  let statusTimer: ReturnType<typeof setTimeout> | undefined;
  const notify = (message: string, kind: "ok" | "error" = "ok") => {
    status.className = `status show ${kind}`;
    status.textContent = message;
    clearTimeout(statusTimer);
    statusTimer = setTimeout(() => status.classList.remove("show"), kind === "error" ? 12_000 : 5_000);
  };

  const route = () => {
    current?.abort();
    current = new AbortController();
    const ctx: Ctx = { api: session.api, readOnly, canManage: session.canManage, notify, signal: current.signal, reload: route };
    const [path, search = ""] = location.hash.replace(/^#/, "").split("?");
    const params = new URLSearchParams(search);
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    fill(crumbs, h("a", { href: "#/" }, "Clusters"));
    if (parts[0] === "c" && parts[1]) {
      const cluster = parts[1];
      crumbs.append(" / ", h("a", { href: `#/c/${encodeURIComponent(cluster)}`, "aria-current": parts[2] ? undefined : "page" }, cluster));
      const tab = parts[2] ?? "nodes";
      if (tab === "handout") handoutView(ctx, view, cluster, params);
      else if (tab === "tokens") tokensView(ctx, view, cluster);
      else if (tab === "audit") auditView(ctx, view, cluster, params);
      else clusterView(ctx, view, cluster);
    } else if (parts[0] === "tokens") {
      crumbs.append(" / ", h("a", { href: "#/tokens", "aria-current": "page" }, "Admin tokens"));
      adminTokensView(ctx, view);
    } else {
      clustersView(ctx, view);
    }
  };
  window.onhashchange = () => {
    route();
    view.focus({ preventScroll: true });
  };
  route();
}

setInterval(() => tick(), 1000);

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) {
  open(saved).then(start, (err) => {
    sessionStorage.removeItem(TOKEN_KEY);
    signInForm(err instanceof AdminApiError && err.status === 401 ? "Your session's token is no longer accepted. Sign in again." : undefined);
  });
} else {
  signInForm();
}
