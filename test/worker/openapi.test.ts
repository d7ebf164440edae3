// Every route the app registers appears in /openapi.json, which is generated from the same zod
// schemas that validate requests.
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/worker/http/app.js";
import { call } from "./helpers.js";

describe("OpenAPI coverage", () => {
  it("documents every registered route, method by method", async () => {
    const document = (await (await call("GET", "/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = new Set(
      Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`)),
    );
    const registered = new Set(
      createApp()
        .routes.filter((r) => r.method !== "ALL" && r.path !== "/openapi.json")
        .map((r) => `${r.method} ${r.path}`),
    );
    expect(registered.size).toBe(33);
    for (const route of registered) expect(documented, route).toContain(route);
    expect(documented.size).toBe(registered.size);
  });
});
