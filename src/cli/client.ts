/**
 * The CLI's calls to the directory's admin API (docs/api.md, "Admin"), one method per command,
 * over the shared typed client (contract/admin-client.ts). What is the CLI's own: a deadline on
 * every request, no redirects (one would drop the Authorization header and surface as a confusing
 * 401), and an unreachable or non-peerdir directory as a ConnectionError with a hint. A refusal
 * is an AdminApiError carrying the problem+json.
 */
import { type AdminApi, adminApi, bodyOf, clusterParam, idParam, joinTokenParam, NotJsonError, nodeParam, type SuccessBody } from "../contract/admin-client.js";
import type { ClusterSettingsPatch, OverrideRequest } from "../contract/admin.js";
import type { CreateAdminTokenRequest } from "../contract/admin-tokens.js";
import type { ClusterExport } from "../contract/export.js";
import type { ClientResponse } from "hono/client";
import type { Connection } from "./connection.js";

export class ConnectionError extends Error {}

export const REQUEST_TIMEOUT_MS = 30_000;

export class AdminClient {
  private readonly api: AdminApi;

  constructor(
    private readonly conn: Connection,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {
    this.api = adminApi(conn.url, conn.token, (input, init) => this.fetch(input, init));
  }

  private async fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(input, { ...init, redirect: "manual", signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === "TimeoutError" ? `no answer within ${this.timeoutMs / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new ConnectionError(`cannot reach the directory at ${this.conn.url}: ${why}`);
    }
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get("location");
      throw new ConnectionError(`the directory at ${this.conn.url} redirects${location ? ` to ${location}` : ""}; use the final URL as PEERDIR_URL or --url`);
    }
    return res;
  }

  /** The body of the answer; a non-JSON success means PEERDIR_URL is not a directory. */
  private async ask<R extends ClientResponse<unknown, number>>(pending: Promise<R>): Promise<SuccessBody<R>> {
    try {
      return await bodyOf(pending);
    } catch (err) {
      if (err instanceof NotJsonError) throw new ConnectionError(`the answer from ${this.conn.url} is not JSON; is PEERDIR_URL a peerdir directory?`);
      throw err;
    }
  }

  listClusters() {
    return this.ask(this.api.clusters.$get());
  }
  createCluster(name: string) {
    return this.ask(this.api.clusters.$post({ json: { name } }));
  }
  showCluster(cluster: string) {
    return this.ask(this.api.clusters[":cluster"].$get({ param: clusterParam(cluster) }));
  }
  updateCluster(cluster: string, patch: ClusterSettingsPatch) {
    return this.ask(this.api.clusters[":cluster"].$patch({ param: clusterParam(cluster), json: patch }));
  }
  deleteCluster(cluster: string) {
    return this.ask(this.api.clusters[":cluster"].$delete({ param: clusterParam(cluster) }));
  }
  exportCluster(cluster: string) {
    return this.ask(this.api.clusters[":cluster"].export.$get({ param: clusterParam(cluster) }));
  }
  /** `doc` is what the user's file holds: the directory validates it. */
  importCluster(cluster: string, doc: unknown) {
    return this.ask(this.api.clusters[":cluster"].import.$post({ param: clusterParam(cluster), json: doc as ClusterExport }));
  }
  forceExpire(cluster: string) {
    return this.ask(this.api.clusters[":cluster"].expire.$post({ param: clusterParam(cluster) }));
  }

  createJoinToken(cluster: string, expiresAt?: string) {
    return this.ask(this.api.clusters[":cluster"]["join-tokens"].$post({ param: clusterParam(cluster), json: expiresAt === undefined ? {} : { expiresAt } }));
  }
  listJoinTokens(cluster: string) {
    return this.ask(this.api.clusters[":cluster"]["join-tokens"].$get({ param: clusterParam(cluster) }));
  }
  revokeJoinToken(cluster: string, id: string) {
    return this.ask(this.api.clusters[":cluster"]["join-tokens"][":id"].$delete({ param: joinTokenParam(cluster, id) }));
  }

  listNodes(cluster: string) {
    return this.ask(this.api.clusters[":cluster"].nodes.$get({ param: clusterParam(cluster), query: {} }));
  }
  revokeCredential(cluster: string, node: string) {
    return this.ask(this.api.clusters[":cluster"].nodes[":node"].credential.$delete({ param: nodeParam(cluster, node) }));
  }
  evict(cluster: string, node: string, reason: string) {
    return this.ask(this.api.clusters[":cluster"].nodes[":node"].evict.$post({ param: nodeParam(cluster, node), json: { reason } }));
  }
  handout(cluster: string, node: string, limit?: number) {
    return this.ask(this.api.clusters[":cluster"].nodes[":node"].handout.$get({ param: nodeParam(cluster, node), query: { limit: limit?.toString() } }));
  }

  setOverride(cluster: string, node: string, override: OverrideRequest) {
    return this.ask(this.api.clusters[":cluster"].overrides[":node"].$put({ param: nodeParam(cluster, node), json: override }));
  }
  listOverrides(cluster: string) {
    return this.ask(this.api.clusters[":cluster"].overrides.$get({ param: clusterParam(cluster) }));
  }
  liftOverride(cluster: string, node: string) {
    return this.ask(this.api.clusters[":cluster"].overrides[":node"].$delete({ param: nodeParam(cluster, node) }));
  }

  audit(cluster: string, page: { limit?: number; cursor?: string; actor?: string }) {
    return this.ask(this.api.clusters[":cluster"].audit.$get({ param: clusterParam(cluster), query: { limit: page.limit?.toString(), cursor: page.cursor, actor: page.actor } }));
  }

  createAdminToken(request: CreateAdminTokenRequest) {
    return this.ask(this.api.tokens.$post({ json: request }));
  }
  listAdminTokens() {
    return this.ask(this.api.tokens.$get());
  }
  revokeAdminToken(id: string) {
    return this.ask(this.api.tokens[":id"].$delete({ param: idParam(id) }));
  }
}
