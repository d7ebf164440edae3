/**
 * The watchers of a cluster: hibernatable WebSockets, one per watching node, each remembering
 * (in its attachment, which survives hibernation) which node it serves, its limit, and the
 * version it was last brought up to. Pings are answered by the runtime without waking the
 * object; everything else is a JSON message.
 */
import { RegisterRequest } from "../../contract/schemas.js";
import { PING } from "../../contract/watch.js";

/** Request headers the Worker uses to hand a validated watch upgrade to the object. */
export const WATCH_HEADERS = { cluster: "x-peerdir-cluster", node: "x-peerdir-node", tokenHash: "x-peerdir-token-hash", observedIp: "x-peerdir-observed-ip" } as const;

export interface WatchAttachment {
  cluster: string;
  node: string;
  /** SHA-256 of the node credential the watch was opened with: renewals over the socket use it. */
  tokenHash: string;
  limit: number | undefined;
  /** The client IP the watch was opened from, for renewals over the socket. */
  observedIp: string | null;
  /** The version this watcher's handout reflects. */
  version: number;
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

/** Close codes the runtime reports but a server may not send back. */
export function echoableCloseCode(code: number): number {
  return code === 1005 || code === 1006 || code < 1000 ? 1000 : code;
}
