/**
 * Turns zod validation failures into a 400 problem naming each offending field.
 * Installed as the default hook of every OpenAPI route, so no route handles this itself.
 */
import type { Hook } from "@hono/zod-openapi";
import { fieldErrorsFromZod, raise } from "./errors.js";
import type { AppEnv } from "./types.js";

const POINTER_PREFIX: Record<string, string> = { json: "", query: "/query", param: "/path", header: "/header" };

export const validationHook: Hook<unknown, AppEnv, string, undefined> = (result) => {
  if (result.success) return;
  const errors = fieldErrorsFromZod(result.error.issues, POINTER_PREFIX[result.target] ?? `/${result.target}`);
  const summary = errors.map((e) => `${e.pointer}: ${e.detail}`).join("; ");
  raise("bad-request", `invalid ${result.target === "json" ? "body" : result.target}: ${summary}`, { errors });
};
