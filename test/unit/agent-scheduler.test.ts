// The agent's scheduler and feeds against a fake directory client and a fake WebSocket (the
// network boundary only; every agent part is the real one): the snapshot and deltas feed the
// view, a resumed watch asks `since`, close code 4001 sends the agent back to the join token,
// failed upgrades while HTTP works step down to long-poll, a block is named with its reason and
// retried within one renew interval, every loop shares one backoff, and confirmations move syncedAt.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Peer } from "../../src/contract/schemas.js";
import type { DirectoryClient, Reply } from "../../src/agent/directory-client.js";
import { Agent } from "../../src/agent/agent.js";
import type { AgentConfig } from "../../src/agent/config.js";
import type { Logger } from "../../src/agent/log.js";
import type { StateStore } from "../../src/agent/state-store.js";
import type { WatchHandlers } from "../../src/agent/feed/watch-session.js";

const peer = (id: string): Peer => ({ id, addrs: [`/ip4/10.0.0.1/tcp/5001`], labels: {} });
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

/** A block as the directory answers it. Its detail does not hold the reason, so only the kind and `reason` can tell the agent. */
function blockedReply(reason: string): Reply<unknown> {
  const problem = { type: "urn:peerdir:problem:blocked", title: "Blocked by an operator", status: 403, detail: "prose for people, which the agent must not parse", reason };
  return { outcome: "forbidden", status: 403, kind: "blocked", problem, detail: "HTTP 403" };
}

interface Opened {
  url: string;
  credential: string;
  handlers: WatchHandlers;
  keepaliveMs: number | undefined;
  closed: boolean;
  sent: string[];
}

function setup(options: { transport?: AgentConfig["transport"]; renewAfterSeconds?: number; registerGate?: Promise<unknown> } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "peerdir-scheduler-"));
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, "pdj_join");
  const calls: { kind: string; token: string; query?: object }[] = [];
  let issued = 0;
  let peersReply: () => Reply<unknown> = () => ({ outcome: "ok", status: 200, etag: '"7"', body: { version: 7, peers: [peer("p")] }, detail: "GET" });
  let registerReply: ((token: string) => Reply<unknown>) | null = null;
  const client = {
    async register(token: string) {
      calls.push({ kind: "register", token });
      if (options.registerGate) await options.registerGate;
      if (registerReply) return registerReply(token);
      const credential = token.startsWith("pdj_") ? `pdn_${++issued}` : undefined;
      const renewAfterSeconds = options.renewAfterSeconds ?? 20;
      return {
        outcome: "ok",
        status: 201,
        body: { node: "self", ttlSeconds: 60, expiresAt: "", renewAfterSeconds, version: 7, ...(credential ? { credential } : {}) },
        detail: "PUT",
      };
    },
    async peers(token: string, _etag: string | null, _signal?: AbortSignal, query?: object) {
      calls.push({ kind: "peers", token, query });
      return peersReply();
    },
    async leave(credential: string) {
      calls.push({ kind: "leave", token: credential });
      return { outcome: "ok", status: 204, detail: "DELETE" };
    },
    watchUrl: (since: number | null) => `ws://dir/watch${since === null ? "" : `?since=${since}`}`,
  } as unknown as DirectoryClient;
  const store = { saveCredential: async () => {}, clearCredential: async () => {}, credentialPath: "x" } as unknown as StateStore;
  const lines: string[] = [];
  const log: Logger = { debug: () => {}, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
  const watches: Opened[] = [];
  const config = {
    cluster: "c",
    node: "self",
    addrs: ["/ip4/10.0.0.9/tcp/1"],
    labels: {},
    ttl: null,
    pollInterval: 60,
    joinTokenFile: tokenFile,
    stateDir: dir,
    transport: options.transport ?? "auto",
  } as unknown as AgentConfig;
  const agent = new Agent({
    config,
    client,
    store,
    log,
    credential: null,
    random: () => 0,
    openWatch: (url, credential, handlers, keepaliveMs) => {
      const w: Opened = { url, credential, handlers, keepaliveMs, closed: false, sent: [] };
      watches.push(w);
      return {
        close: () => (w.closed = true),
        send: (text: string) => {
          w.sent.push(text);
          return !w.closed;
        },
      };
    },
  });
  const running = agent.run();
  return {
    agent,
    running,
    calls,
    watches,
    view: agent.view,
    lines,
    setPeers: (f: () => Reply<unknown>) => (peersReply = f),
    setRegister: (f: ((token: string) => Reply<unknown>) | null) => (registerReply = f),
  };
}

let cleanup: (() => Promise<void>) | null = null;
/** Stops the agent after the test. */
function started<T extends { agent: Agent; running: Promise<void> }>(t: T): T {
  cleanup = async () => {
    t.agent.stop();
    await t.running;
  };
  return t;
}
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe("the agent on the watch", () => {
  it("renews by ping: it pings more often than it would renew, and each pong holds the lease with no request", async () => {
    const t = started(setup());
    await expect.poll(() => t.watches.length === 1, { message: "a watch", timeout: 3_000, interval: 5 }).toBeTruthy();
    const watch = t.watches[0]!;
    // renewAfterSeconds 20: a ping every 16 s, under the 30 s keep-alive.
    expect(watch.keepaliveMs).toBe(16_000);
    watch.handlers.onOpen();
    watch.handlers.onMessage(JSON.stringify({ type: "snapshot", version: 7, peers: [] }));
    const granted = t.agent.lease.expiresAt!;
    const renewAt = t.agent.lease.renewAt;
    await tick(30);
    watch.handlers.onMessage("pong");
    // The pong moved the lease and the renewal forward, as the directory's lazy expiry does.
    expect(t.agent.lease.expiresAt!).toBeGreaterThan(granted);
    expect(t.agent.lease.renewAt).toBeGreaterThan(renewAt);
    expect(t.calls.filter((c) => c.kind === "register")).toHaveLength(1);
  });

  it("takes the snapshot, applies deltas, resumes with since, and re-registers with the join token on 4001", async () => {
    const t = started(setup());
    await expect.poll(() => t.watches.length === 1, { message: "a watch", timeout: 3_000, interval: 5 }).toBeTruthy();
    const first = t.watches[0]!;
    expect(first.url).toBe("ws://dir/watch"); // first of the run: a snapshot, no since
    expect(first.credential).toBe("pdn_1");
    first.handlers.onOpen();
    first.handlers.onMessage(JSON.stringify({ type: "snapshot", version: 3, peers: [peer("a"), peer("b")] }));
    first.handlers.onMessage(JSON.stringify({ type: "delta", version: 4, degraded: true, upserts: [peer("c")], removes: ["a"] }));
    expect(t.view.peers.map((p) => p.id)).toEqual(["b", "c"]);
    expect(t.view.version).toBe(4);
    expect(t.agent.sync.degraded).toBe(true);
    first.handlers.onMessage("pong");
    expect(t.agent.scheduler.watch.messages).toEqual(
      new Map([
        ["snapshot", 1],
        ["delta", 1],
        ["pong", 1],
      ]),
    );
    expect(t.agent.stale).toBe(false);

    // Cut: the next watch resumes after version 4.
    first.handlers.onEnd({ opened: true, code: 1006, reason: "gone", lifetimeMs: 40_000 });
    await expect.poll(() => t.watches.length === 2, { message: "a second watch", timeout: 2_000, interval: 5 }).toBeTruthy();
    expect(t.watches[1]!.url).toBe("ws://dir/watch?since=4");
    t.watches[1]!.handlers.onOpen();

    // 4001: the credential is gone; register again with the join token, then watch with the new one.
    t.watches[1]!.handlers.onEnd({ opened: true, code: 4001, reason: "revoked", lifetimeMs: 1_000 });
    await expect.poll(() => t.watches.length === 3, { message: "a third watch", timeout: 3_000, interval: 5 }).toBeTruthy();
    expect(t.calls.filter((c) => c.kind === "register").map((c) => c.token)).toEqual(["pdj_join", "pdj_join"]);
    expect(t.watches[2]!.credential).toBe("pdn_2");
    expect(t.lines.filter((l) => l.includes("rejected this node's credential"))).toHaveLength(1);
    expect(t.agent.scheduler.transport).toBe("watch");
    expect(t.calls.some((c) => c.kind === "peers")).toBe(false); // nothing polled on the way
  });

  it("steps down to long-poll after two failed upgrades while plain HTTP works, and long-polls with since", async () => {
    const t = started(setup());
    await expect.poll(() => t.watches.length === 1, { message: "a watch", timeout: 3_000, interval: 5 }).toBeTruthy();
    t.watches[0]!.handlers.onEnd({ opened: false, code: 1006, reason: "no 101", lifetimeMs: 0 });
    await expect.poll(() => t.calls.filter((c) => c.kind === "peers").length === 1, { message: "the check over HTTP", timeout: 3_000, interval: 5 }).toBeTruthy();
    expect(t.view.peers.map((p) => p.id)).toEqual(["p"]); // and the peers are fresh meanwhile
    await expect.poll(() => t.watches.length === 2, { message: "a second watch", timeout: 3_000, interval: 5 }).toBeTruthy();
    t.setPeers(() => ({ outcome: "not_modified", status: 304, etag: '"7"', detail: "GET" }));
    t.watches[1]!.handlers.onEnd({ opened: false, code: 1006, reason: "no 101", lifetimeMs: 0 });
    await expect
      .poll(() => t.calls.some((c) => c.kind === "peers" && (c.query as { waitSeconds?: number } | undefined)?.waitSeconds === 30), {
        message: "a long-poll",
        timeout: 3_000,
        interval: 5,
      })
      .toBeTruthy();
    expect(t.lines).toContain("transport: watch → long-poll (the WebSocket upgrade failed 2 times while plain HTTP works)");
    expect(t.agent.scheduler.transport).toBe("long-poll");
    expect(t.calls.find((c) => (c.query as { waitSeconds?: number } | undefined)?.waitSeconds)!.query).toEqual({ waitSeconds: 30, since: 7 });
    expect(t.watches).toHaveLength(2);
  });

  it("on close code 4003 asks why, and names the block and its reason once", async () => {
    const t = started(setup());
    await expect.poll(() => t.watches.length === 1, { message: "a watch", timeout: 3_000, interval: 5 }).toBeTruthy();
    t.watches[0]!.handlers.onOpen();
    const blocked = blockedReply("compromised host");
    t.setPeers(() => blocked);
    t.setRegister(() => blocked);
    t.watches[0]!.handlers.onEnd({ opened: true, code: 4003, reason: "the node is blocked by an operator", lifetimeMs: 5_000 });
    await expect.poll(() => t.calls.some((c) => c.kind === "peers"), { message: "the check over HTTP", timeout: 3_000, interval: 5 }).toBeTruthy();
    await tick(300);
    expect(t.watches).toHaveLength(1); // waits a renew interval before trying again
    const said = t.lines.filter((l) => l.includes("blocked by an operator"));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain("this node is blocked by an operator: compromised host");
    expect(said[0]).not.toContain("join token");
  });
});

describe("the agent's failure policy in its loops", () => {
  it("notices a lifted block within one renew interval", async () => {
    const t = started(setup({ transport: "poll", renewAfterSeconds: 1 }));
    await expect.poll(() => t.calls.some((c) => c.kind === "peers"), { message: "the first poll", timeout: 3_000, interval: 5 }).toBeTruthy();
    const blocked = blockedReply("maintenance");
    t.setRegister(() => blocked);
    await expect.poll(() => t.lines.some((l) => l.includes("blocked by an operator: maintenance")), { message: "the block to be seen", timeout: 3_000, interval: 5 }).toBeTruthy();
    const liftedAt = Date.now();
    t.setRegister(null);
    await expect.poll(() => t.agent.lease.live, { message: "the lease back", timeout: 3_000, interval: 5 }).toBeTruthy();
    // The renew interval is 1 s here (renewAfterSeconds); the next attempt comes within it.
    expect(Date.now() - liftedAt).toBeLessThanOrEqual(1_200);
    expect(t.lines.filter((l) => l.includes("blocked by an operator"))).toHaveLength(1);
  });

  it("shares one backoff between renewals and the feed, and logs an outage once, with its end", async () => {
    const t = started(setup({ transport: "poll", renewAfterSeconds: 1 }));
    await expect.poll(() => t.calls.some((c) => c.kind === "peers"), { message: "the first poll", timeout: 3_000, interval: 5 }).toBeTruthy();
    const down: Reply<unknown> = { outcome: "server_error", status: 503, detail: "HTTP 503" };
    t.setRegister(() => down);
    t.setPeers(() => down);
    const before = t.calls.length;
    await tick(3_500);
    // random() = 0: every backoff is the 1 s floor, so about 3 attempts in 3.5 s, renew and poll together.
    const attempts = t.calls.length - before;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(4);
    expect(t.agent.failures.up).toBe(false);
    t.setRegister(null);
    const returnedAt = Date.now();
    t.setPeers(() => ({ outcome: "not_modified", status: 304, etag: '"7"', detail: "GET" }));
    await expect.poll(() => t.agent.failures.up === true, { message: "the outage to end", timeout: 3_000, interval: 5 }).toBeTruthy();
    // The 304 (or the renewal at the same version) confirmed the unchanged list: syncedAt moved.
    await expect.poll(() => (t.view.syncedAt?.getTime() ?? 0) >= returnedAt, { message: "syncedAt to move", timeout: 3_000, interval: 5 }).toBeTruthy();
    expect(t.lines.filter((l) => l.includes("directory unreachable"))).toHaveLength(1);
    expect(t.lines.filter((l) => l.includes("directory reachable again"))).toHaveLength(1);
  });

  it("moves syncedAt on every confirmation: a 304 and a live watch", async () => {
    const t = started(setup());
    await expect.poll(() => t.watches.length === 1, { message: "a watch", timeout: 3_000, interval: 5 }).toBeTruthy();
    const w = t.watches[0]!;
    w.handlers.onOpen();
    w.handlers.onMessage(JSON.stringify({ type: "snapshot", version: 3, peers: [peer("a")] }));
    const first = t.view.syncedAt!.getTime();
    await tick(30);
    w.handlers.onMessage("pong");
    expect(t.view.syncedAt!.getTime()).toBeGreaterThan(first);
    const second = t.view.syncedAt!.getTime();
    await tick(30);
    w.handlers.onMessage(JSON.stringify({ type: "renewed", expiresAt: "x" }));
    expect(t.view.syncedAt!.getTime()).toBeGreaterThan(second);
  });
});

describe("stopping", () => {
  it("keeps the credential of a registration answered after stop(), so leaving removes that lease", async () => {
    let answer!: (value?: unknown) => void;
    const t = setup({ registerGate: new Promise((resolve) => (answer = resolve)) });
    await expect.poll(() => t.calls.some((c) => c.kind === "register"), { message: "a registration in flight", timeout: 3_000, interval: 5 }).toBeTruthy();
    t.agent.stop();
    answer();
    await t.running;
    await t.agent.leave();
    expect(t.calls.filter((c) => c.kind === "leave")).toEqual([{ kind: "leave", token: "pdn_1" }]);
  });
});
