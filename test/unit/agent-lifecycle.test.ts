// The lifecycle's watch handling against a fake directory client and a fake WebSocket: the
// snapshot and deltas feed the view, a resumed watch asks `since`, close code 4001 sends the
// agent back to the join token, and failed upgrades while HTTP works step down to long-poll.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Peer } from "../../src/contract/schemas.js";
import type { DirectoryClient, Reply } from "../../src/agent/directory-client.js";
import { Lifecycle } from "../../src/agent/lifecycle.js";
import type { Logger } from "../../src/agent/log.js";
import { RequestCounter } from "../../src/agent/metrics.js";
import { PeerView } from "../../src/agent/peer-view.js";
import type { StateStore } from "../../src/agent/state-store.js";
import type { WatchHandlers } from "../../src/agent/watch.js";

const peer = (id: string): Peer => ({ id, addrs: [`/ip4/10.0.0.1/tcp/5001`], labels: {} });
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, ms = 3_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await tick(5);
  }
}

interface Opened {
  url: string;
  credential: string;
  handlers: WatchHandlers;
  keepaliveMs: number | undefined;
  closed: boolean;
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "peerdir-lifecycle-"));
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, "pdj_join");
  const calls: { kind: string; token: string; query?: object }[] = [];
  let issued = 0;
  let peersReply: () => Reply<unknown> = () => ({ outcome: "ok", status: 200, etag: '"7"', body: { version: 7, peers: [peer("p")] }, detail: "GET" });
  const client = {
    async register(token: string) {
      calls.push({ kind: "register", token });
      const credential = token.startsWith("pdj_") ? `pdn_${++issued}` : undefined;
      return {
        outcome: "ok",
        status: 201,
        body: { node: "self", ttlSeconds: 60, expiresAt: "", renewAfterSeconds: 20, version: 7, ...(credential ? { credential } : {}) },
        detail: "PUT",
      };
    },
    async peers(token: string, _etag: string | null, _signal?: AbortSignal, query?: object) {
      calls.push({ kind: "peers", token, query });
      return peersReply();
    },
    async leave() {
      return { outcome: "ok", status: 204, detail: "DELETE" };
    },
    watchUrl: (since: number | null) => `ws://dir/watch${since === null ? "" : `?since=${since}`}`,
  } as unknown as DirectoryClient;
  const store = { saveCredential: async () => {}, clearCredential: async () => {}, credentialPath: "x" } as unknown as StateStore;
  const lines: string[] = [];
  const log: Logger = { debug: () => {}, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
  const watches: Opened[] = [];
  const view = new PeerView("self");
  const lifecycle = new Lifecycle({
    config: { cluster: "c", node: "self", addrs: ["/ip4/10.0.0.9/tcp/1"], labels: {}, ttl: null, pollInterval: 60, joinTokenFile: tokenFile, stateDir: dir, transport: "auto" },
    client,
    store,
    view,
    log,
    requests: new RequestCounter(),
    credential: null,
    onPeersChanged: () => {},
    webSocket: true,
    random: () => 0,
    openWatch: (url, credential, handlers, keepaliveMs) => {
      const w: Opened = { url, credential, handlers, keepaliveMs, closed: false };
      watches.push(w);
      return { close: () => (w.closed = true) };
    },
  });
  const running = lifecycle.run();
  return { lifecycle, running, calls, watches, view, lines, setPeers: (f: () => Reply<unknown>) => (peersReply = f) };
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe("Lifecycle on the watch", () => {
  it("renews by ping: it pings more often than it would renew, and each pong holds the lease with no request", async () => {
    const t = setup();
    cleanup = async () => {
      t.lifecycle.stop();
      await t.running;
    };
    await until("a watch", () => t.watches.length === 1);
    const watch = t.watches[0]!;
    // renewAfterSeconds 20: a ping every 16 s, under the 30 s keep-alive.
    expect(watch.keepaliveMs).toBe(16_000);
    watch.handlers.onOpen();
    watch.handlers.onMessage(JSON.stringify({ type: "snapshot", version: 7, peers: [] }));
    const granted = t.lifecycle.leaseExpiresAt!;
    await tick(30);
    watch.handlers.onMessage("pong");
    // The pong moved the lease (and the renewal) forward, as the directory's lazy expiry will.
    expect(t.lifecycle.leaseExpiresAt!).toBeGreaterThan(granted);
    expect(t.calls.filter((c) => c.kind === "register")).toHaveLength(1);
  });

  it("takes the snapshot, applies deltas, resumes with since, and re-registers with the join token on 4001", async () => {
    const t = setup();
    cleanup = async () => {
      t.lifecycle.stop();
      await t.running;
    };
    await until("a watch", () => t.watches.length === 1);
    const first = t.watches[0]!;
    expect(first.url).toBe("ws://dir/watch"); // first of the run: a snapshot, no since
    expect(first.credential).toBe("pdn_1");
    first.handlers.onOpen();
    first.handlers.onMessage(JSON.stringify({ type: "snapshot", version: 3, peers: [peer("a"), peer("b")] }));
    first.handlers.onMessage(JSON.stringify({ type: "delta", version: 4, degraded: true, upserts: [peer("c")], removes: ["a"] }));
    expect(t.view.peers.map((p) => p.id)).toEqual(["b", "c"]);
    expect(t.view.version).toBe(4);
    expect(t.lifecycle.degraded).toBe(true);
    first.handlers.onMessage("pong");
    expect(t.lifecycle.watchMessages).toEqual(
      new Map([
        ["snapshot", 1],
        ["delta", 1],
        ["pong", 1],
      ]),
    );
    expect(t.lifecycle.stale).toBe(false);

    // Cut: the next watch resumes after version 4.
    first.handlers.onEnd({ opened: true, code: 1006, reason: "gone", lifetimeMs: 40_000 });
    await until("a second watch", () => t.watches.length === 2, 2_000);
    expect(t.watches[1]!.url).toBe("ws://dir/watch?since=4");
    t.watches[1]!.handlers.onOpen();

    // 4001: the credential is gone; register again with the join token, then watch with the new one.
    t.watches[1]!.handlers.onEnd({ opened: true, code: 4001, reason: "revoked", lifetimeMs: 1_000 });
    await until("a third watch", () => t.watches.length === 3);
    expect(t.calls.filter((c) => c.kind === "register").map((c) => c.token)).toEqual(["pdj_join", "pdj_join"]);
    expect(t.watches[2]!.credential).toBe("pdn_2");
    expect(t.lines.filter((l) => l.includes("rejected this node's credential"))).toHaveLength(1);
    expect(t.lifecycle.transport).toBe("watch");
    expect(t.calls.some((c) => c.kind === "peers")).toBe(false); // nothing polled on the way
  });

  it("steps down to long-poll after two failed upgrades while plain HTTP works, and long-polls with since", async () => {
    const t = setup();
    cleanup = async () => {
      t.lifecycle.stop();
      await t.running;
    };
    await until("a watch", () => t.watches.length === 1);
    t.watches[0]!.handlers.onEnd({ opened: false, code: 1006, reason: "no 101", lifetimeMs: 0 });
    await until("the check over HTTP", () => t.calls.filter((c) => c.kind === "peers").length === 1);
    expect(t.view.peers.map((p) => p.id)).toEqual(["p"]); // and the peers are fresh meanwhile
    await until("a second watch", () => t.watches.length === 2, 3_000);
    t.setPeers(() => ({ outcome: "not_modified", status: 304, etag: '"7"', detail: "GET" }));
    t.watches[1]!.handlers.onEnd({ opened: false, code: 1006, reason: "no 101", lifetimeMs: 0 });
    await until("a long-poll", () => t.calls.some((c) => c.kind === "peers" && (c.query as { waitSeconds?: number } | undefined)?.waitSeconds === 30));
    expect(t.lines).toContain("transport: watch → long-poll (the WebSocket upgrade failed 2 times while plain HTTP works)");
    expect(t.lifecycle.transport).toBe("long-poll");
    expect(t.calls.find((c) => (c.query as { waitSeconds?: number } | undefined)?.waitSeconds)!.query).toEqual({ waitSeconds: 30, since: 7 });
    expect(t.watches).toHaveLength(2);
  });

  it("treats close code 4003 as blocked: logged once, no tight loop", async () => {
    const t = setup();
    cleanup = async () => {
      t.lifecycle.stop();
      await t.running;
    };
    await until("a watch", () => t.watches.length === 1);
    t.watches[0]!.handlers.onOpen();
    t.watches[0]!.handlers.onEnd({ opened: true, code: 4003, reason: "blocked", lifetimeMs: 5_000 });
    await tick(300);
    expect(t.watches).toHaveLength(1); // waits a minute before trying again
    expect(t.lines.filter((l) => l.includes("node credential was rejected (HTTP 403)"))).toHaveLength(1);
  });
});
