// The operator console in a real browser (Chromium, through playwright-core) against the real
// Worker on 127.0.0.1 with real agents: sign in, nodes appearing live, blocking a node and seeing
// it leave a peer's handout preview, the audit showing it, a scoped read token seeing one cluster
// and no action, root listing and revoking admin tokens,
// axe-core on every view, and a screenshot of every view under test-artifacts/console/.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../support/browser.js";
import { TEST_ADMIN_READ_TOKEN } from "../support/constants.js";
import { createCluster, type RunningDirectory, startDirectory } from "../support/directory.js";
import { type AgentProcess, freePort, killAll, peerId, spawnAgent } from "./agent-harness.js";

const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/console/", import.meta.url));
const AXE_SOURCE = createRequire(import.meta.url)("axe-core").source as string;
const CLUSTER = "console-e2e";
const TRANSPORTS = { n1: "watch", n2: "long-poll", n3: "poll" } as const;

const work = mkdtempSync(join(tmpdir(), "peerdir-console-e2e-"));
let directory: RunningDirectory;
let browser: Browser;
let admin: BrowserContext;
let page: Page;
const agents: AgentProcess[] = [];
/** Anything the page logged as an error, or a CSP violation: the tests expect none. */
const pageErrors: string[] = [];

async function newPage(context: BrowserContext): Promise<Page> {
  const p = await context.newPage();
  p.on("console", (msg) => {
    // The wrong token's 401 is expected; anything else (a script error, a CSP violation) is not.
    if (msg.type() === "error" && !/status of 401/.test(msg.text())) pageErrors.push(msg.text());
  });
  p.on("pageerror", (err) => pageErrors.push(String(err)));
  return p;
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, animations: "disabled" });
}

/** axe-core on the page as it is: no serious or critical violations. */
async function axe(p: Page, view: string): Promise<void> {
  await p.evaluate(AXE_SOURCE); // through the devtools protocol: the page's CSP does not apply
  const result = (await p.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as {
    violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
  };
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${view}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

const row = (p: Page, node: string) => p.locator(`tr[data-key="${node}/lease"]`);

async function signIn(p: Page, token: string): Promise<void> {
  await p.goto(`${directory.url}/console`);
  // Keyboard only: the token field has focus on load, Enter submits.
  await expect.poll(() => p.evaluate("document.activeElement && document.activeElement.id")).toBe("token");
  await p.getByLabel("Admin token").fill(token);
  await p.keyboard.press("Enter");
  await p.getByRole("heading", { name: "Clusters", level: 1 }).waitFor();
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  directory = await startDirectory({ persistDir: join(work, "directory"), vars: { ADMIN_READ_TOKEN: TEST_ADMIN_READ_TOKEN } });
  const { joinToken } = await createCluster(directory.url, directory.adminToken, CLUSTER);
  writeFileSync(join(work, "join-token"), `${joinToken}\n`, { mode: 0o600 });
  browser = await launchBrowser();
  admin = await browser.newContext({ viewport: { width: 1360, height: 860 }, timezoneId: "Europe/Berlin", locale: "en-GB" });
  page = await newPage(admin);
}, 60_000);

afterAll(async () => {
  await killAll(agents);
  await browser?.close();
  await directory?.stop();
});

async function startAgent(node: keyof typeof TRANSPORTS, index: number): Promise<void> {
  // The agent advertises the port it listens on, so its self-check and its peers' probes connect.
  const port = await freePort();
  const args = [
    "--directory",
    directory.url,
    "--cluster",
    CLUSTER,
    "--join-token-file",
    join(work, "join-token"),
    "--state-dir",
    join(work, "state", node),
    "--addr",
    `/ip4/127.0.0.1/tcp/${port}/p2p/${await peerId()}`,
    "--label",
    `zone=z${index % 2}`,
    "--label",
    `index=${index}`,
    "--ttl",
    "10",
    "--transport",
    TRANSPORTS[node],
    "--poll-interval",
    "2",
  ];
  agents.push(spawnAgent(node, port, args));
}

describe("the operator console in a real browser", () => {
  it("serves the page under a strict CSP, with no inline script", async () => {
    const res = await fetch(`${directory.url}/console`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toMatch(/^default-src 'self';/);
    expect(res.headers.get("content-security-policy")).not.toMatch(/unsafe-inline|unsafe-eval/);
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script is a file
    expect(html).not.toMatch(/https?:\/\//); // nothing from elsewhere
  });

  it("signs in with the admin token, kept in sessionStorage and never in the URL", async () => {
    await page.goto(`${directory.url}/console`);
    await page.getByLabel("Admin token").waitFor();
    await axe(page, "sign-in");
    await shot(page, "0-sign-in");
    await page.getByLabel("Admin token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").first().textContent()).toContain("not an admin token");

    await page.getByLabel("Admin token").fill(directory.adminToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Clusters", level: 1 }).waitFor();
    expect(page.url()).not.toContain(directory.adminToken);
    expect(await page.evaluate("sessionStorage.getItem('peerdir.adminToken')")).toBe(directory.adminToken);
    const clusterRow = page.locator(`tr[data-key="${CLUSTER}"]`);
    await expect.poll(() => clusterRow.textContent()).toContain("healthy");
    await axe(page, "clusters");
    await shot(page, "1-clusters");
  });

  it("shows nodes as their agents start, live, with transport, lease countdown and last renewal", async () => {
    await page.getByRole("link", { name: CLUSTER, exact: true }).first().click();
    await page.getByRole("heading", { name: "Nodes", exact: true }).waitFor();
    await expect.poll(() => page.locator("table tbody").textContent()).toContain("No nodes yet");
    const started = Date.now();
    await startAgent("n1", 1);
    await startAgent("n2", 2);
    await startAgent("n3", 3);
    // No reload: the table follows the cluster by long-poll.
    for (const node of ["n1", "n2", "n3"] as const) {
      await row(page, node)
        .waitFor({ timeout: 15_000 })
        .catch((err) => {
          throw new Error(`${err}\n${agents.map((a) => `--- ${a.node}\n${a.logs.slice(-10).join("\n")}`).join("\n")}`);
        });
    }
    const appearedMs = Date.now() - started;
    for (const node of ["n1", "n2", "n3"] as const) {
      await expect.poll(() => row(page, node).locator("td[data-label=Transport]").textContent(), { timeout: 20_000 }).toBe(TRANSPORTS[node]);
    }
    const n2 = row(page, "n2");
    expect(await n2.locator("td[data-label=Zone]").textContent()).toBe("z0");
    expect(await n2.locator("td[data-label=Labels]").textContent()).toContain("index=2");
    expect(await n2.locator("td[data-label=Reachability]").textContent()).toMatch(/^(reachable|unreachable|unknown)/);
    expect(await n2.locator("td[data-label='Lease left'] time").textContent()).toMatch(/^\d+ s$/);
    expect(await n2.locator("td[data-label='Last renewal'] time").textContent()).toMatch(/ago$/);
    // The viewer's time zone, with ISO 8601 on hover.
    expect(await n2.locator("td[data-label='Last renewal'] time").getAttribute("title")).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await page.locator(".tz").textContent()).toBe("Europe/Berlin");
    // The filter box and a sortable header.
    await page.getByLabel("Filter nodes").fill("long-poll");
    await expect.poll(() => page.locator("table tbody tr").count()).toBe(1);
    await page.getByLabel("Filter nodes").fill("");
    await page.getByRole("button", { name: /^Node/ }).press("Enter");
    expect(await page.locator("th[aria-sort=descending]").textContent()).toContain("Node");
    expect(await page.locator("table tbody tr").first().getAttribute("data-key")).toBe("n3/lease");
    await page.locator("figure.chart svg").waitFor({ timeout: 10_000 });
    await axe(page, "nodes");
    await shot(page, "2-nodes");
    expect(appearedMs).toBeLessThan(15_000);
  });

  it("marks a node whose local consumer asks for peers in a loop, and counts it on the cluster", async () => {
    // The seed's loop, bounded: 120 requests in about 3 s to n3's agent, twice its default threshold.
    const n3 = agents.find((a) => a.node === "n3")!;
    for (let i = 0; i < 120; i++) {
      const res = await fetch(`${n3.base}/v1-k3s/p2p`);
      expect(res.status).toBe(200);
      await res.text();
      await new Promise((r) => setTimeout(r, 25));
    }
    const badge = row(page, "n3").locator("td[data-label=Node] .badge.consumer-loop");
    await expect.poll(() => badge.count(), { timeout: 30_000 }).toBe(1);
    expect(await badge.textContent()).toBe("consumer loop");
    expect(await badge.getAttribute("title")).toMatch(/requests a minute to \/v1-k3s\/p2p/);
    expect(await row(page, "n1").locator(".badge.consumer-loop").count()).toBe(0);
    await expect.poll(() => page.locator(".view-head .badge.consumer-loops").textContent(), { timeout: 15_000 }).toBe("1 consumer loop");
    await axe(page, "nodes with a consumer loop");
    await shot(page, "2-nodes-consumer-loop");
  });

  it("blocks a node after confirmation; it leaves its peers' handout preview, and the audit shows it", async () => {
    await page.goto(`${directory.url}/console#/c/${CLUSTER}/handout?node=n2`);
    const peersTable = page.locator("section.card table tbody");
    await expect.poll(() => peersTable.locator("tr").count(), { timeout: 10_000 }).toBe(2);
    // Rows are keyed by node id: a text match could hit a random peer id in an address.
    const peerRow = (node: string) => peersTable.locator(`tr[data-key="${node}"]`);
    expect(await peerRow("n1").count()).toBe(1);

    // A second tab (its own sign-in: the token is kept per tab) blocks n1 on the nodes view; the
    // preview follows without a reload.
    const other = await newPage(admin);
    await signIn(other, directory.adminToken);
    await other.goto(`${directory.url}/console#/c/${CLUSTER}`);
    await row(other, "n1").getByRole("button", { name: "Block n1" }).click();
    const dialog = other.getByRole("dialog");
    await dialog.getByLabel("Reason").fill("suspected bad disk");
    await dialog.getByRole("button", { name: "Block" }).click();
    await expect.poll(() => row(other, "n1").locator("td[data-label=State]").textContent(), { timeout: 10_000 }).toContain("blocked");
    expect(await row(other, "n1").locator("td[data-label=State]").textContent()).toContain("suspected bad disk");
    await other.evaluate("document.querySelector('.status').classList.remove('show')"); // the toast, out of the picture
    await shot(other, "3-nodes-blocked");
    await other.close();

    await expect.poll(() => peersTable.locator("tr").count(), { timeout: 15_000 }).toBe(1);
    expect(await peerRow("n1").count()).toBe(0);
    expect(await peerRow("n3").count()).toBe(1);
    await axe(page, "handout");
    await shot(page, "4-handout");

    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByLabel("Action").selectOption("override.set");
    await page.getByRole("button", { name: "Apply" }).click();
    const entries = page.locator("section.card table tbody tr");
    await expect.poll(() => entries.count()).toBe(1);
    expect(await entries.first().textContent()).toContain("suspected bad disk");
    expect(await entries.first().locator("td[data-label=Node]").textContent()).toBe("n1");
    expect(await entries.first().locator("td[data-label=By]").textContent()).toBe("admin root");
    expect(page.url()).toContain("action=override.set");
    await page.getByRole("link", { name: "Clear filters" }).click();
    await expect.poll(() => entries.count()).toBeGreaterThan(3);
    // Filtered by who: the ADMIN_TOKEN's entries (root) only.
    await page.getByLabel("By").fill("root");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => page.url()).toContain("actor=root");
    await expect.poll(async () => new Set(await entries.locator("td[data-label=By]").allTextContents())).toEqual(new Set(["admin root"]));
    await page.getByRole("link", { name: "Clear filters" }).click();
    await expect.poll(() => entries.count()).toBeGreaterThan(3);
    await axe(page, "audit");
    await shot(page, "5-audit");
  });

  it("creates a join token shown once with a copy button, and revokes it", async () => {
    await page.getByRole("link", { name: "Join tokens" }).click();
    await page.getByRole("button", { name: "Create join token…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Create" }).click();
    const secret = page.getByRole("dialog").getByLabel("Join token");
    await expect.poll(() => secret.inputValue()).toMatch(/^pdj_/);
    await page.getByRole("dialog").getByRole("button", { name: "Copy" }).waitFor();
    await axe(page, "join token");
    await shot(page, "6-join-token-once");
    await page.getByRole("dialog").getByRole("button", { name: "Done" }).click();
    const rows = page.locator("section.card table tbody tr");
    await expect.poll(() => rows.count()).toBe(2);
    await shot(page, "7-join-tokens");
    const revoke = rows.first().getByRole("button", { name: /^Revoke join token/ });
    await revoke.click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
    await expect.poll(() => rows.count()).toBe(1);
  });

  it("with a read token scoped to one cluster: its name and scope shown, only its cluster listed, and no write action anywhere", async () => {
    await createCluster(directory.url, directory.adminToken, "console-other");
    const minted = await fetch(`${directory.url}/v1/admin/tokens`, {
      method: "POST",
      headers: { Authorization: `Bearer ${directory.adminToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "console-viewer", role: "read", clusters: [CLUSTER] }),
    });
    expect(minted.status).toBe(201);
    const { token } = (await minted.json()) as { token: string };
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    const ro = await newPage(context);
    await signIn(ro, token);
    expect(await ro.locator(".signed-in").textContent()).toBe(`console-viewer read-only cluster ${CLUSTER}`);
    expect(await ro.locator("#read-only-reason").textContent()).toContain("read-only token");
    await expect.poll(() => ro.locator("tbody tr").count()).toBe(1);
    expect(await ro.locator(`tr[data-key="${CLUSTER}"]`).count()).toBe(1);
    expect(await ro.getByRole("link", { name: "Admin tokens" }).count()).toBe(0);
    await axe(ro, "scoped read-only clusters");
    // Every view of the cluster: no action at all (sorting and filtering are not actions).
    const actions = ro.locator("main td.actions button, main .row-actions button, main .toolbar button, main .view-head button");
    const ACTION_LABEL = /^(Create cluster…|Create join token…|Revoke|Block|Drain|Lift|Evict|Pin a peer…|Settings…)$/;
    const views: [string, () => Promise<unknown>][] = [
      ["clusters", () => ro.getByRole("heading", { name: "Clusters", level: 1 }).waitFor()],
      [`c/${CLUSTER}`, () => row(ro, "n2").waitFor()],
      [`c/${CLUSTER}/tokens`, () => ro.getByRole("heading", { name: "Join tokens" }).waitFor()],
      [`c/${CLUSTER}/audit`, () => ro.locator("section.card table tbody tr").first().waitFor()],
    ];
    for (const [hash, ready] of views) {
      await ro.goto(`${directory.url}/console#/${hash}`);
      await ready();
      expect(await actions.count(), hash).toBe(0);
      const labels = await ro.locator("main button").allTextContents();
      expect(
        labels.filter((l) => ACTION_LABEL.test(l.trim())),
        hash,
      ).toEqual([]);
      await axe(ro, `scoped read-only ${hash}`);
    }
    await shot(ro, "8-read-only");
    await context.close();
    expect(pageErrors).toEqual([]);
  });

  it("lists admin tokens with revoke for root; the ADMIN_READ_TOKEN lists them without revoke", async () => {
    await page.goto(`${directory.url}/console#/tokens`);
    await page.getByRole("heading", { name: "Admin tokens", level: 1 }).waitFor();
    const viewer = page.locator("section.card table tbody tr").filter({ hasText: "console-viewer" });
    await viewer.waitFor();
    expect(await viewer.textContent()).toContain(CLUSTER);
    await axe(page, "admin tokens");
    await shot(page, "9-admin-tokens");
    await viewer.getByRole("button", { name: "Revoke admin token console-viewer" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
    await expect.poll(() => page.locator("section.card table tbody tr").filter({ hasText: "console-viewer" }).count()).toBe(0);
    // The ADMIN_READ_TOKEN, scoped to every cluster, may list the tokens but not revoke them.
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    const ro = await newPage(context);
    await signIn(ro, TEST_ADMIN_READ_TOKEN);
    await ro.getByRole("link", { name: "Admin tokens" }).click();
    await ro.getByRole("heading", { name: "Admin tokens", level: 1 }).waitFor();
    await ro.locator("section.card").waitFor();
    expect(await ro.getByRole("button", { name: /^Revoke/ }).count()).toBe(0);
    await context.close();
    expect(pageErrors).toEqual([]);
  });
});
