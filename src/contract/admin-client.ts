/**
 * The admin API's one client, shared by the `peerdir` CLI and the console: hono's typed client
 * (`hc`) over the route table in admin-routes.ts, so every path, parameter and body shape comes
 * from what the Worker serves, and a change there fails the clients' type-check rather than a
 * request. Each caller brings its own `fetch` (timeouts, redirects, what "unreachable" means to it);
 * this module adds the token and reads answers one way: the body of a success, or an AdminApiError
 * carrying the problem (RFC 9457), synthesised when the answer was not one (a proxy's HTML page).
 * Only types come from the route table and the schemas, so zod stays out of both clients' bundles.
 */
import { type ClientResponse, hc } from "hono/client";
import type { AdminAppType } from "./admin-routes.js";
import type { Problem } from "./schemas.js";

/** A refusal from the directory, as its problem details. */
export class AdminApiError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.title} (${problem.status}): ${problem.detail}`);
  }
  get status(): number {
    return this.problem.status;
  }
}

/** A success whose body is not JSON: whatever answered is not a peerdir directory. */
export class NotJsonError extends Error {}

/** The typed client of `/v1/admin`: `adminApi(url, token).clusters[":cluster"].$get({ param: clusterParam(name) })`. */
export function adminApi(baseUrl: string, token: string, fetch?: typeof globalThis.fetch) {
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/json, application/problem+json" };
  return hc<AdminAppType>(baseUrl, { headers, ...(fetch ? { fetch } : {}) }).v1.admin;
}

export type AdminApi = ReturnType<typeof adminApi>;

// hono's client puts path parameters into the URL as given; these escape them, so an odd name
// reaches the directory's validation (a clear 400) instead of another route.
const seg = encodeURIComponent;
export const clusterParam = (cluster: string) => ({ cluster: seg(cluster) });
export const nodeParam = (cluster: string, node: string) => ({ cluster: seg(cluster), node: seg(node) });
export const joinTokenParam = (cluster: string, id: string) => ({ cluster: seg(cluster), id: seg(id) });
export const idParam = (id: string) => ({ id: seg(id) });

/** What a route answers on success: its JSON body, or undefined for 204. */
export type SuccessBody<R> = R extends ClientResponse<infer T, infer S> ? (S extends 204 ? undefined : `${S}` extends `2${string}` ? T : never) : never;

/** The body of a successful answer; a refusal becomes an AdminApiError. */
export async function bodyOf<R extends ClientResponse<unknown, number>>(pending: Promise<R>): Promise<SuccessBody<R>> {
  const res = await pending;
  const text = await res.text();
  if (!res.ok) throw new AdminApiError(problemFrom(res.status, res.statusText, text));
  if (res.status === 204 || text === "") return undefined as SuccessBody<R>;
  try {
    return JSON.parse(text) as SuccessBody<R>;
  } catch {
    throw new NotJsonError(`a ${res.status} answer that is not JSON`);
  }
}

/** The problem in a failed answer; a synthesised one when the body is not problem+json. */
export function problemFrom(status: number, statusText: string, bodyText: string): Problem {
  try {
    const body = JSON.parse(bodyText) as Partial<Problem>;
    if (body && typeof body.title === "string" && typeof body.detail === "string") {
      return {
        type: typeof body.type === "string" ? body.type : "about:blank",
        title: body.title,
        status: typeof body.status === "number" ? body.status : status,
        detail: body.detail,
        ...(Array.isArray(body.errors) ? { errors: body.errors } : {}),
      };
    }
  } catch {
    // not JSON: fall through
  }
  const snippet = bodyText.replace(/\s+/g, " ").trim().slice(0, 160);
  return {
    type: "about:blank",
    title: statusText || "HTTP error",
    status,
    detail: snippet ? `not an answer from a peerdir directory: ${snippet}` : "the directory gave no details",
  };
}
