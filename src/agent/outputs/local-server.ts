/**
 * The agent's local HTTP endpoints, for spegel, k3s-style consumers, operators and Prometheus.
 *
 * Every answer comes from the agent's in-memory view (precomputed on change); nothing here ever
 * calls the directory or another node, so however often a consumer polls, and however nodes
 * point at each other, no request can fan out or loop. Requests to the peer endpoints are
 * counted (consumer-loops.ts) so that a consumer asking in a loop is seen, never slowed.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { http } from "../builtins.js";
import type { PeerView } from "../peer-view.js";
import { ConsumerLoops } from "./consumer-loops.js";

export interface LocalSource {
  view: PeerView;
  stale(): boolean;
  /** How the agent hears about changes (watch, long-poll, poll), shown in /peers. */
  transport?(): string;
  metrics(): string;
  /** Counts requests to the peer endpoints and watches them for loops. */
  consumers?: ConsumerLoops;
}

export const ROUTES = ["/v1-k3s/p2p", "/v1-rke2/p2p", "/id", "/bootstrap", "/peers", "/healthz", "/metrics"] as const;

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": type,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(body);
}

const JSON_TYPE = "application/json";
const TEXT_TYPE = "text/plain; charset=utf-8";

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON_TYPE, `${JSON.stringify(value)}\n`);
}

function wantsJson(req: IncomingMessage): boolean {
  return (req.headers.accept ?? "").split(",").some((part) => part.split(";")[0]!.trim().toLowerCase() === JSON_TYPE);
}

export function handle(src: LocalSource, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? "/").split("?")[0]!;
  if (!(ROUTES as readonly string[]).includes(path)) return send(res, 404, TEXT_TYPE, "not found\n");
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, TEXT_TYPE, "method not allowed\n", { allow: "GET, HEAD" });
  const { view } = src;
  if (src.consumers) {
    const index = ConsumerLoops.indexOf(path);
    if (index >= 0) src.consumers.count(index);
  }
  switch (path) {
    case "/v1-k3s/p2p":
    case "/v1-rke2/p2p": {
      // k3s's semantics: JSON array when asked for JSON, else the first address as text; 503 when none.
      const peers = view.handouts.k3s;
      if (peers.length === 0) return send(res, 503, TEXT_TYPE, "no peer addresses available\n");
      return wantsJson(req) ? json(res, 200, peers) : send(res, 200, TEXT_TYPE, peers[0]!);
    }
    case "/id": {
      const info = view.handouts.id;
      if (!info) return send(res, 503, TEXT_TYPE, "no peer with a libp2p peer id available\n");
      return json(res, 200, info);
    }
    case "/bootstrap":
      return json(res, 200, view.handouts.bootstrap);
    case "/peers":
      return json(res, 200, {
        version: view.version,
        peers: view.peers,
        stale: src.stale(),
        syncedAt: view.syncedAt?.toISOString() ?? null,
        ...(src.transport ? { transport: src.transport() } : {}),
      });
    case "/healthz": {
      const ok = view.syncedThisRun;
      return json(res, ok ? 200 : 503, { ok, stale: src.stale(), syncedAt: view.syncedAt?.toISOString() ?? null });
    }
    case "/metrics":
      return send(res, 200, "text/plain; version=0.0.4; charset=utf-8", src.metrics());
  }
}

export function createLocalServer(src: LocalSource): Server {
  const server = http.createServer((req, res) => {
    try {
      handle(src, req, res);
    } catch (err) {
      if (!res.headersSent) send(res, 500, TEXT_TYPE, `${(err as Error).message}\n`);
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  return server;
}
