/**
 * The console's only way to the directory: the shared typed admin client (contract/admin-client.ts)
 * on the page's own origin, with the token in the Authorization header and nowhere else (never in
 * a URL, never logged, no cookies sent). A refusal is an AdminApiError carrying the API's problem
 * details, so the page can say what went wrong and what to do; a directory that does not answer is
 * one too, with status 0.
 */
import { AdminApiError, type AdminApi, adminApi } from "../contract/admin-client.js";

export type Api = AdminApi;

const UNREACHABLE = {
  type: "about:blank",
  status: 0,
  title: "Directory unreachable",
  detail: "the directory did not answer; check that it is running and reachable, then try again",
};

export function consoleApi(token: string): Api {
  return adminApi(location.origin, token, async (input, init) => {
    try {
      return await fetch(input, { ...init, cache: "no-store", credentials: "omit" });
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      throw new AdminApiError(UNREACHABLE);
    }
  });
}

/** Request options that end the request when `signal` aborts (the view is left). */
export const abortOn = (signal: AbortSignal) => ({ init: { signal } });
