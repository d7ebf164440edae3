/**
 * Typed calls to the directory's node API (docs/api.md): register/renew, read peers, leave.
 *
 * Each call returns a `Reply` instead of throwing, with the HTTP status folded into a small set
 * of outcomes (what /metrics counts) and a refusal's problem kind (what the lease holder and the
 * feeds decide on: a block, a credential that is gone, no live lease). A network failure or
 * timeout is an outcome too: the directory being down is normal operation for an agent, not an error.
 */
import { kindOfStatus, type ProblemKind, problemKind } from "../contract/problem.js";
import type { PeersResponse, Problem, RegisterRequest, RegisterResponse } from "../contract/schemas.js";
import { retryAfterMs } from "./backoff.js";
import { http, https, tlsOptions } from "./builtins.js";
import { watchUrl } from "./feed/transport.js";

export type ReplyOutcome =
  | "ok"
  | "not_modified"
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "rate_limited"
  | "server_error"
  | "network_error"
  | "unexpected";

export interface Reply<T> {
  outcome: ReplyOutcome;
  /** HTTP status; 0 for network errors. */
  status: number;
  body?: T;
  etag?: string | null;
  problem?: Problem;
  /**
   * What a refusal (4xx, 5xx) is, from its problem's `type`; from the status alone when the answer
   * carries no problem of ours (a proxy's 502, say). Null for success and network errors.
   */
  kind?: ProblemKind | null;
  /** From the Retry-After of a 429 or 503, bounded; null when absent. */
  retryAfterMs?: number | null;
  /** Short human description for logs. */
  detail: string;
  /** When the request was sent (ms since the epoch). */
  startedAt?: number;
}

export const REQUEST_TIMEOUT_MS = 10_000;

function outcomeOf(status: number): ReplyOutcome {
  if (status === 200 || status === 201 || status === 204) return "ok";
  if (status === 304) return "not_modified";
  if (status === 400 || status === 413 || status === 415) return "bad_request";
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "server_error";
  return "unexpected";
}

export class DirectoryClient {
  private readonly nodeUrl: string;
  private httpAgent: import("node:http").Agent | undefined;
  private httpsAgent: import("node:http").Agent | undefined;

  constructor(
    directory: string,
    readonly cluster: string,
    readonly node: string,
    private readonly userAgent = "peerdir-agent",
    /** The most peers to ask for (`limit`); null takes the cluster's default. */
    readonly limit: number | null = null,
  ) {
    const base = directory.replace(/\/+$/, "");
    this.nodeUrl = `${base}/v1/clusters/${encodeURIComponent(cluster)}/nodes/${encodeURIComponent(node)}`;
  }

  register(token: string, request: RegisterRequest, signal?: AbortSignal): Promise<Reply<RegisterResponse>> {
    return this.call<RegisterResponse>("PUT", this.nodeUrl, token, {
      body: JSON.stringify(request),
      headers: { "content-type": "application/json" },
      signal,
    });
  }

  /**
   * The handout. `waitSeconds` (with a current `etag`) makes it a long-poll, held by the directory
   * until the version moves; `since` asks for a delta (`{"version","upserts","removes"}`) instead
   * of the whole list. The body is then a delta or a handout: read it with `parseHandout`.
   */
  peers(credential: string, etag: string | null, signal?: AbortSignal, options: { waitSeconds?: number; since?: number } = {}): Promise<Reply<unknown>> {
    const query = new URLSearchParams();
    if (this.limit !== null) query.set("limit", String(this.limit));
    if (options.since !== undefined) query.set("since", String(options.since));
    if (options.waitSeconds) query.set("wait", String(options.waitSeconds));
    const qs = query.toString() ? `?${query.toString()}` : "";
    return this.call<PeersResponse>("GET", `${this.nodeUrl}/peers${qs}`, credential, {
      headers: etag ? { "if-none-match": etag } : {},
      signal,
      timeoutMs: REQUEST_TIMEOUT_MS + (options.waitSeconds ?? 0) * 1000,
    });
  }

  /** The WebSocket URL of this node's watch, resuming after `since` when given. */
  watchUrl(since: number | null): string {
    return watchUrl(this.nodeUrl, since, this.limit);
  }

  leave(credential: string, signal?: AbortSignal): Promise<Reply<never>> {
    return this.call<never>("DELETE", this.nodeUrl, credential, { signal });
  }

  private async call<T>(
    method: string,
    url: string,
    token: string,
    init: { body?: string; headers?: Record<string, string>; signal?: AbortSignal; timeoutMs?: number },
  ): Promise<Reply<T>> {
    const timeoutMs = init.timeoutMs ?? REQUEST_TIMEOUT_MS;
    // One controller for the caller's abort and our timeout (AbortSignal.any needs Node 20.3).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    if (init.signal?.aborted) controller.abort();
    init.signal?.addEventListener("abort", onAbort, { once: true });
    const startedAt = Date.now();
    try {
      return { ...(await this.send<T>(method, url, token, init, controller.signal, () => timedOut, timeoutMs)), startedAt };
    } finally {
      clearTimeout(timer);
      init.signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * One request on `node:http` (or `node:https`), over kept-alive connections. Not `fetch`:
   * that is undici's, and loading undici costs about 12 MiB resident (see builtins.ts).
   */
  private send<T>(
    method: string,
    url: string,
    token: string,
    init: { body?: string; headers?: Record<string, string> },
    signal: AbortSignal,
    timedOut: () => boolean,
    timeoutMs: number,
  ): Promise<Reply<T>> {
    return new Promise((resolve) => {
      const failed = (why: string) => resolve({ outcome: "network_error", status: 0, detail: `${method} ${url}: ${timedOut() ? `timed out after ${timeoutMs / 1000} s` : why}` });
      const headers: Record<string, string> = { accept: "application/json", authorization: `Bearer ${token}`, "user-agent": this.userAgent, ...init.headers };
      if (init.body !== undefined) headers["content-length"] = String(Buffer.byteLength(init.body));
      let request: ReturnType<typeof http.request>;
      try {
        const target = new URL(url);
        const secure = target.protocol === "https:";
        request = (secure ? https() : http).request(target, { method, headers, signal, agent: this.agent(secure) }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", (err) => failed(`body: ${err.message}`));
          res.on("end", () => resolve(this.reply<T>(method, url, res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString("utf8"))));
        });
      } catch (err) {
        return failed((err as Error).message);
      }
      request.on("error", (err: NodeJS.ErrnoException) => failed(err.code ?? err.message));
      request.end(init.body);
    });
  }

  private agent(secure: boolean): import("node:http").Agent {
    if (secure) return (this.httpsAgent ??= new (https().Agent)({ keepAlive: true, ...tlsOptions() }));
    return (this.httpAgent ??= new http.Agent({ keepAlive: true }));
  }

  private reply<T>(method: string, url: string, status: number, headers: import("node:http").IncomingHttpHeaders, text: string): Reply<T> {
    const outcome = outcomeOf(status);
    const etag = headers.etag;
    const reply: Reply<T> = { outcome, status, etag: typeof etag === "string" ? etag : null, detail: `${method} ${url}: HTTP ${status}`, kind: kindOfStatus(status) };
    if (status === 429 || status === 503) {
      const retryAfter = headers["retry-after"];
      reply.retryAfterMs = retryAfterMs(typeof retryAfter === "string" ? retryAfter : null);
    }
    if (status === 204 || status === 304 || !text) return reply;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      if (outcome === "ok") return { ...reply, outcome: "server_error", detail: `${reply.detail} with a body that is not JSON` };
    }
    if (outcome === "ok") reply.body = parsed as T;
    else if (parsed && typeof parsed === "object" && "title" in parsed) {
      reply.problem = parsed as Problem;
      const p = reply.problem;
      reply.kind = problemKind(p.type) ?? reply.kind;
      const fields = p.errors?.map((e) => `${e.pointer}: ${e.detail}`).join("; ");
      reply.detail = `${reply.detail} ${p.title}${p.detail ? `: ${p.detail}` : ""}${fields ? ` (${fields})` : ""}`;
    }
    return reply;
  }
}
