/**
 * Typed calls to the directory's admin API (docs/api.md, "Admin"), one method per route.
 *
 * Types come from the contract as types only, so zod stays out of the CLI bundle. A refusal
 * becomes an ApiError carrying the problem+json (or one synthesised from a non-problem answer,
 * e.g. a proxy's HTML page); an unreachable directory becomes a ConnectionError.
 */
import type {
  AuditPage,
  ClusterDetail,
  ClusterList,
  ClusterSettingsPatch,
  CreatedJoinToken,
  Handout,
  JoinTokenList,
  NodeList,
  Override,
  OverrideList,
  OverrideRequest,
} from "../contract/admin.js";
import type { AdminTokenList, CreateAdminTokenRequest, CreatedAdminToken } from "../contract/admin-tokens.js";
import type { ClusterExport, ImportResult } from "../contract/export.js";
import type { CreateClusterResponse, Problem } from "../contract/schemas.js";
import type { Connection } from "./connection.js";

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.title} (${problem.status}): ${problem.detail}`);
  }
}

export class ConnectionError extends Error {}

/** `POST …/expire`; the contract has the schema (ForceExpireResult) but exports no type for it. */
export interface ForceExpireResult {
  expired: number;
}

export const REQUEST_TIMEOUT_MS = 30_000;

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

const seg = encodeURIComponent;

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

export class AdminClient {
  constructor(
    private readonly conn: Connection,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  private async call<T>(method: Method, path: string, body?: unknown, query?: Record<string, string | undefined>): Promise<T> {
    const url = new URL(`${this.conn.url}/v1/admin${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = { Authorization: `Bearer ${this.conn.token}`, Accept: "application/json, application/problem+json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        // A redirect (say http → https) would drop the Authorization header and surface as a confusing 401.
        redirect: "manual",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === "TimeoutError" ? `no answer within ${this.timeoutMs / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new ConnectionError(`cannot reach the directory at ${this.conn.url}: ${why}`);
    }
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get("location");
      throw new ConnectionError(`the directory at ${this.conn.url} redirects${location ? ` to ${location}` : ""}; use the final URL as PEERDIR_URL or --url`);
    }
    const text = await res.text();
    if (!res.ok) throw new ApiError(problemFrom(res.status, res.statusText, text));
    if (res.status === 204 || text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ConnectionError(`the answer from ${this.conn.url} is not JSON; is PEERDIR_URL a peerdir directory?`);
    }
  }

  listClusters() {
    return this.call<ClusterList>("GET", "/clusters");
  }
  createCluster(name: string) {
    return this.call<CreateClusterResponse>("POST", "/clusters", { name });
  }
  showCluster(cluster: string) {
    return this.call<ClusterDetail>("GET", `/clusters/${seg(cluster)}`);
  }
  updateCluster(cluster: string, patch: ClusterSettingsPatch) {
    return this.call<ClusterDetail>("PATCH", `/clusters/${seg(cluster)}`, patch);
  }
  deleteCluster(cluster: string) {
    return this.call<void>("DELETE", `/clusters/${seg(cluster)}`);
  }
  exportCluster(cluster: string) {
    return this.call<ClusterExport>("GET", `/clusters/${seg(cluster)}/export`);
  }
  importCluster(cluster: string, doc: unknown) {
    return this.call<ImportResult>("POST", `/clusters/${seg(cluster)}/import`, doc);
  }
  forceExpire(cluster: string) {
    return this.call<ForceExpireResult>("POST", `/clusters/${seg(cluster)}/expire`);
  }

  createJoinToken(cluster: string, expiresAt?: string) {
    return this.call<CreatedJoinToken>("POST", `/clusters/${seg(cluster)}/join-tokens`, expiresAt === undefined ? {} : { expiresAt });
  }
  listJoinTokens(cluster: string) {
    return this.call<JoinTokenList>("GET", `/clusters/${seg(cluster)}/join-tokens`);
  }
  revokeJoinToken(cluster: string, id: string) {
    return this.call<void>("DELETE", `/clusters/${seg(cluster)}/join-tokens/${seg(id)}`);
  }

  listNodes(cluster: string) {
    return this.call<NodeList>("GET", `/clusters/${seg(cluster)}/nodes`);
  }
  revokeCredential(cluster: string, node: string) {
    return this.call<void>("DELETE", `/clusters/${seg(cluster)}/nodes/${seg(node)}/credential`);
  }
  evict(cluster: string, node: string, reason: string) {
    return this.call<void>("POST", `/clusters/${seg(cluster)}/nodes/${seg(node)}/evict`, { reason });
  }
  handout(cluster: string, node: string, limit?: number) {
    return this.call<Handout>("GET", `/clusters/${seg(cluster)}/nodes/${seg(node)}/handout`, undefined, { limit: limit?.toString() });
  }

  setOverride(cluster: string, node: string, override: OverrideRequest) {
    return this.call<Override>("PUT", `/clusters/${seg(cluster)}/overrides/${seg(node)}`, override);
  }
  listOverrides(cluster: string) {
    return this.call<OverrideList>("GET", `/clusters/${seg(cluster)}/overrides`);
  }
  liftOverride(cluster: string, node: string) {
    return this.call<void>("DELETE", `/clusters/${seg(cluster)}/overrides/${seg(node)}`);
  }

  audit(cluster: string, page: { limit?: number; cursor?: string; actor?: string }) {
    return this.call<AuditPage>("GET", `/clusters/${seg(cluster)}/audit`, undefined, { limit: page.limit?.toString(), cursor: page.cursor, actor: page.actor });
  }

  createAdminToken(request: CreateAdminTokenRequest) {
    return this.call<CreatedAdminToken>("POST", "/tokens", request);
  }
  listAdminTokens() {
    return this.call<AdminTokenList>("GET", "/tokens");
  }
  revokeAdminToken(id: string) {
    return this.call<void>("DELETE", `/tokens/${seg(id)}`);
  }
}
