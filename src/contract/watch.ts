/**
 * The watch socket's protocol (`GET …/nodes/{node}/watch`), for the directory and the agent alike:
 * the subprotocol, the keep-alive texts, the close codes and the JSON messages each side sends.
 *
 * Constants and types only: the agent imports this module, and a schema here would pull zod into
 * its bundle. The directory validates a `renew` body with the contract's `RegisterRequest`.
 */
import type { RegisterRequest } from "./schemas.js";

/** The subprotocol a watch speaks. */
export const WATCH_SUBPROTOCOL = "peerdir";
/** Clients that cannot set headers (browsers) offer `bearer.<credential>` next to `peerdir`. */
export const BEARER_SUBPROTOCOL_PREFIX = "bearer.";

/** The keep-alive: the client sends this text, the runtime answers PONG without waking the object. */
export const PING = "ping";
export const PONG = "pong";

/**
 * Close codes (4000-4999 are the application's). The directory sends the credential and blocked
 * codes; the agent reports KEEPALIVE_TIMEOUT itself when a silent socket outlived its keep-alive.
 */
export const CLOSE_KEEPALIVE_TIMEOUT = 4000;
export const CLOSE_CREDENTIAL_GONE = 4001;
export const CLOSE_BLOCKED = 4003;

/**
 * The reconnect window the directory advises on every accepted watch (a header of the 101): how
 * many seconds a watcher whose socket was cut should spread its reconnect over, uniformly. A
 * deploy restarts the cluster's object and cuts every socket at once; spread over this window,
 * the cluster's nodes come back at about RECONNECT_UPGRADES_PER_SECOND, half the object's soft
 * limit of about a thousand requests a second, so the peak second stays under it.
 */
export const RECONNECT_WINDOW_HEADER = "Peerdir-Reconnect-Window";
export const RECONNECT_UPGRADES_PER_SECOND = 500;
/** The window's bounds: the agent's own spread at least, and at most five minutes (a lease renews over HTTP meanwhile). */
export const RECONNECT_WINDOW_MIN_SECONDS = 10;
export const RECONNECT_WINDOW_MAX_SECONDS = 300;

/** The window for a cluster of `nodes` live nodes, in whole seconds. */
export function reconnectWindowSeconds(nodes: number): number {
  return Math.min(RECONNECT_WINDOW_MAX_SECONDS, Math.max(RECONNECT_WINDOW_MIN_SECONDS, Math.ceil(nodes / RECONNECT_UPGRADES_PER_SECOND)));
}

/**
 * What a watcher sends besides PING: a renewal, with the body of a registration. It goes when
 * something it carries changed: readiness, probe results, or a local consumer loop starting or
 * ending (`consumers`); a steady state sends none.
 */
export type WatchClientMessage = { type: "renew" } & RegisterRequest;

/** What the directory sends: the handout (whole, or what changed since), a renewal's answer, or an error. */
export type WatchServerMessageType = "snapshot" | "delta" | "renewed" | "error";
