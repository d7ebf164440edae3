/**
 * The console's only way to the directory: the admin REST API on the same origin, with the
 * token in the Authorization header and nowhere else (never in a URL, never logged). Errors come
 * back as the API's problem details, so the page can say what went wrong and what to do.
 */
export interface Problem {
  status: number;
  title?: string;
  detail?: string;
  errors?: { pointer: string; detail: string }[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
  get status(): number {
    return this.problem.status;
  }
}

type Query = Record<string, string | number | undefined | null>;

export class Api {
  constructor(private readonly token: string) {}

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.call<T>("GET", path, { query, signal });
  }

  send<T>(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T> {
    return this.call<T>(method, path, { body });
  }

  private async call<T>(method: string, path: string, options: { query?: Query; body?: unknown; signal?: AbortSignal }): Promise<T> {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: "application/json" };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
        cache: "no-store",
        credentials: "omit",
      });
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      throw new ApiError({ status: 0, title: "Directory unreachable", detail: "the directory did not answer; check that it is running and reachable, then try again" });
    }
    if (res.status === 204) return null as T;
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!res.ok) throw new ApiError({ status: res.status, ...((body as Partial<Problem>) ?? {}), ...(body ? {} : { detail: `HTTP ${res.status}` }) });
    return body as T;
  }
}

export const clusterPath = (cluster: string, rest = "") => `/v1/admin/clusters/${encodeURIComponent(cluster)}${rest}`;
export const nodePath = (cluster: string, node: string, rest = "") => clusterPath(cluster, `/nodes/${encodeURIComponent(node)}${rest}`);
export const overridePath = (cluster: string, node: string) => clusterPath(cluster, `/overrides/${encodeURIComponent(node)}`);
