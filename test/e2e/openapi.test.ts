// The OpenAPI document: valid OpenAPI 3.1, served by the real Worker, and covering every route
// the app registers (it is generated from the same zod schemas that validate requests).
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app.js";
import { type RunningDirectory, startDirectory } from "../support/directory.js";

describe("OpenAPI", () => {
  let directory: RunningDirectory;
  let document: { openapi: string; paths: Record<string, Record<string, unknown>> };
  beforeAll(async () => {
    directory = await startDirectory();
    document = (await (await fetch(`${directory.url}/openapi.json`)).json()) as typeof document;
  });
  afterAll(() => directory.stop());

  it("is a valid OpenAPI 3.1 document", async () => {
    const validator = new Validator();
    const result = await validator.validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe("3.1.0");
  });

  it("documents every registered route", () => {
    const documented = new Set(
      Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`)),
    );
    const registered = createApp()
      .routes.filter((r) => r.method !== "ALL" && r.path !== "/openapi.json")
      .map((r) => `${r.method} ${r.path}`);
    expect(registered.length).toBeGreaterThanOrEqual(19);
    for (const route of new Set(registered)) expect(documented, route).toContain(route);
  });
});
