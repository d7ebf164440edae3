/** Shared OpenAPI response declarations (used by the route table and the Worker): the problem responses each kind of route can give. */
import { Problem } from "./schemas.js";

const problemContent = { "application/problem+json": { schema: Problem } };

/** Every route that authenticates (401) can also answer 429: too many failed authentications from the address. */
export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(
    [...new Set(statuses.includes(401) ? [...statuses, 429] : statuses)].map((status) => [status, { description: DESCRIPTIONS[status] ?? "Problem", content: problemContent }]),
  );

const DESCRIPTIONS: Record<number, string> = {
  400: "Bad input; `errors` names each offending field",
  401: "Missing, malformed or unknown token, or one minted for another cluster or under a retired key",
  403: "A token of the wrong kind, or for another node",
  404: "Unknown cluster or node, or no live lease",
  409: "Conflict",
  413: "Body over 16 KiB",
  415: "Body is not JSON",
  429: "Over the node's rate limit, or too many failed authentications from this address; see Retry-After",
};

export const bearerSecurity = [{ bearer: [] }];

/** A response or request body of `schema` as JSON, for route declarations. */
export const json = <T>(schema: T) => ({ content: { "application/json": { schema } } });
