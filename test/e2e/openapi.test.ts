// The OpenAPI document served by the real Worker is valid OpenAPI 3.1. (That it covers every
// registered route is checked inside workerd: test/worker/openapi.test.ts.)
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
});
