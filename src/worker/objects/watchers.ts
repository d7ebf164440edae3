/**
 * The watchers of a cluster: hibernatable WebSockets, one per watching node, each remembering
 * (in its attachment, which survives hibernation) which node it serves, its limit, and the
 * version it was last brought up to. Pings are answered by the runtime without waking the
 * object; everything else is a JSON message.
 */
import { RegisterRequest } from "../../contract/schemas.js";
import type { RegisterInput } from "../../cluster/cluster-core.js";
import type { Outcome } from "../../contract/problem.js";
import { CLOSE_BLOCKED, CLOSE_CREDENTIAL_GONE, PING, RECONNECT_WINDOW_HEADER, WATCH_SUBPROTOCOL } from "../../contract/watch.js";

/** Request headers the Worker uses to hand a validated watch upgrade to the object. */
export const WATCH_HEADERS = { node: "x-peerdir-node", tokenHash: "x-peerdir-token-hash", observedIp: "x-peerdir-observed-ip" } as const;

export interface WatchAttachment {
  node: string;
  /** SHA-256 of the node credential the watch was opened with: renewals over the socket use it. */
  tokenHash: string;
  limit: number | undefined;
  /** The client IP the watch was opened from, for renewals over the socket. */
  observedIp: string | null;
  /** The version this watcher's handout reflects. */
  version: number;
  /** Whether the last handout or delta it was sent said `"degraded": true`. */
  degraded: boolean;
  /** When the socket opened: its first sign of life, before any ping (ms since the epoch). */
  openedAt: number;
}

export type WatchMessage = { type: "renew"; body: RegisterRequest } | { type: "invalid"; detail: string };

/** Parses what a watcher sent: `{"type":"renew","addrs":[…],"labels"?,"ttlSeconds"?}`. */
export function parseWatchMessage(raw: string | ArrayBuffer): WatchMessage {
  if (typeof raw !== "string") return { type: "invalid", detail: "send JSON text frames" };
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { type: "invalid", detail: "not JSON" };
  }
  if (typeof data !== "object" || data === null || (data as { type?: unknown }).type !== "renew") {
    return { type: "invalid", detail: `the only message a watcher may send is {"type":"renew",...}; send "${PING}" for a keep-alive` };
  }
  const { type: _type, ...body } = data as Record<string, unknown>;
  const parsed = RegisterRequest.safeParse(body);
  if (!parsed.success) return { type: "invalid", detail: parsed.error.issues.map((i) => `/${i.path.join("/")}: ${i.message}`).join("; ") };
  return { type: "renew", body: parsed.data };
}

/** A socket renewal as the core takes it: the message's body, with the socket's node, credential and IP. */
export type SocketRenewal = Omit<RegisterInput, "now" | "fresh">;

/** What a watcher's message asks for: a renewal, or the error frame to answer an invalid one with. */
export function socketRenewal(watch: WatchAttachment, raw: string | ArrayBuffer): { input: SocketRenewal } | { error: string } {
  const message = parseWatchMessage(raw);
  if (message.type === "invalid") return { error: JSON.stringify({ type: "error", status: 400, detail: message.detail }) };
  const { body } = message;
  return {
    input: {
      node: watch.node,
      tokenHash: watch.tokenHash,
      addrs: body.addrs,
      labels: body.labels,
      ttlSeconds: body.ttlSeconds,
      ready: body.ready,
      reports: body.reports,
      consumers: body.consumers,
      observedIp: watch.observedIp,
    },
  };
}

/** Close codes the runtime reports but a server may not send back. */
export function echoableCloseCode(code: number): number {
  return code === 1005 || code === 1006 || code < 1000 ? 1000 : code;
}

/** The watch a validated upgrade asks for (the Worker passed node and credential hash as headers), and its `since`. */
export function watchRequest(request: Request): { watch: WatchAttachment; since: number | null } {
  const url = new URL(request.url);
  const header = (name: string) => request.headers.get(name) ?? "";
  return {
    watch: {
      node: header(WATCH_HEADERS.node),
      tokenHash: header(WATCH_HEADERS.tokenHash),
      limit: url.searchParams.has("limit") ? Number(url.searchParams.get("limit")) : undefined,
      observedIp: request.headers.get(WATCH_HEADERS.observedIp),
      version: 0,
      degraded: false,
      openedAt: Date.now(),
    },
    since: url.searchParams.has("since") ? Number(url.searchParams.get("since")) : null,
  };
}

/** The 101 answer: the client's end of the socket, and the subprotocol when the client offered it. */
export function upgradeResponse(request: Request, client: WebSocket, reconnectWindowSeconds: number): Response {
  const offered =
    request.headers
      .get("Sec-WebSocket-Protocol")
      ?.split(",")
      .map((p) => p.trim()) ?? [];
  const headers: Record<string, string> = { [RECONNECT_WINDOW_HEADER]: String(reconnectWindowSeconds) };
  if (offered.includes(WATCH_SUBPROTOCOL)) headers["Sec-WebSocket-Protocol"] = WATCH_SUBPROTOCOL;
  return new Response(null, { status: 101, webSocket: client, headers });
}

/** A renewal's answer on the socket: the registration's body, or the problem's status and detail. */
export function renewalReply(outcome: Outcome<{ body: object }>): string {
  return JSON.stringify(outcome.ok ? { type: "renewed", ...outcome.value.body } : { type: "error", status: outcome.problem.status, detail: outcome.problem.detail });
}

/** Closes a watch whose node may no longer watch; true when it did. */
export function closeIfStanding(ws: WebSocket, standing: "ok" | "credential-gone" | "blocked"): boolean {
  if (standing === "credential-gone") ws.close(CLOSE_CREDENTIAL_GONE, "the node credential was revoked or replaced; register again with a join token");
  else if (standing === "blocked") ws.close(CLOSE_BLOCKED, "the node is blocked by an operator");
  return standing !== "ok";
}

/** The latest sign of life on a watch socket: its last auto-answered ping, or its opening. */
export function socketLastSeen(ctx: DurableObjectState, ws: WebSocket, watch: WatchAttachment): number {
  const pinged = ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
  return Math.max(pinged, watch.openedAt ?? 0);
}
