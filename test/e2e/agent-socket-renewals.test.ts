// The agent on the watch transport against the real directory Worker in local workerd: while its
// socket is up, its pings hold the lease and it makes no HTTP request at all, not even when a
// probe result changes (that goes as a `renew` message on the socket); while the socket is down it
// renews over HTTP, and once the socket is back it stops again. peerdir_agent_requests_total is
// the witness, as an operator would read it.
import { createServer } from "node:http";
import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { type AgentProcess, agentCluster, freePort, get, peerId, waitFor } from "./agent-harness.js";

const CLUSTER = "socket-renewals";
const fx = agentCluster(CLUSTER);
const { servers } = fx;

/** An agent on the watch with a 10 s lease (renewals due every ~3 s), through `url`. */
const agent = (node: string, url: string, extra: string[] = []) => fx.agent(node, ["--transport", "watch", "--ttl", "10", "--poll-interval", "60", ...extra], { url });

/** Registers a peer straight through the API at `addr`. */
async function register(node: string, addr: string): Promise<void> {
  const res = await fetch(`${fx.directory.url}/v1/clusters/${CLUSTER}/nodes/${node}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${fx.joinToken}`, "content-type": "application/json" },
    body: JSON.stringify({ addrs: [`${addr}/p2p/${await peerId()}`], ttlSeconds: 600 }),
  });
  expect(res.status).toBe(201);
}

interface Counts {
  /** Every directory request the agent made, of any kind and outcome. */
  requests: number;
  renewals: number;
  watchOpened: number;
  pongs: number;
  renewedOnSocket: number;
}

async function counts(a: AgentProcess): Promise<Counts> {
  const text = (await get(a, "/metrics")).text;
  const sum = (re: RegExp) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
  return {
    requests: sum(/^peerdir_agent_requests_total\{[^}]*\} (\d+)$/gm),
    renewals: sum(/^peerdir_agent_requests_total\{request="renew",[^}]*\} (\d+)$/gm),
    watchOpened: sum(/^peerdir_agent_requests_total\{request="watch",result="ok"\} (\d+)$/gm),
    pongs: sum(/^peerdir_agent_watch_messages_total\{type="pong"\} (\d+)$/gm),
    renewedOnSocket: sum(/^peerdir_agent_watch_messages_total\{type="renewed"\} (\d+)$/gm),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface NodeView {
  id: string;
  state: string;
  reachability: { failedReporters: number; okReporters: number };
}

/** A node as the admin nodes view shows it (the directory's reachability evidence included). */
async function nodeView(node: string): Promise<NodeView> {
  const res = await fetch(`${fx.directory.url}/v1/admin/clusters/${CLUSTER}/nodes`, { headers: { authorization: `Bearer ${fx.directory.adminToken}` } });
  expect(res.status).toBe(200);
  const view = ((await res.json()) as { nodes: NodeView[] }).nodes.find((n) => n.id === node);
  expect(view, `${node} in the nodes view`).toBeDefined();
  return view!;
}

/**
 * A proxy in front of the directory that passes plain requests and WebSocket upgrades (as raw
 * TCP), and can cut the upgraded sockets and refuse new upgrades: the watch goes down while
 * plain HTTP keeps working.
 */
async function switchableProxy(): Promise<{ url: string; cut(): void; allow(): void }> {
  const upstream = new URL(fx.directory.url);
  const tunnels = new Set<Socket>();
  let blocked = false;
  const proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const name of ["authorization", "content-type", "if-none-match", "accept", "user-agent"]) {
      const v = req.headers[name];
      if (typeof v === "string") headers[name] = v;
    }
    try {
      const answer = await fetch(new URL(req.url ?? "/", fx.directory.url), { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
      const body = Buffer.from(await answer.arrayBuffer());
      const out: Record<string, string> = { "content-length": String(body.length) };
      for (const name of ["content-type", "etag", "retry-after"]) {
        const v = answer.headers.get(name);
        if (v) out[name] = v;
      }
      res.writeHead(answer.status, out).end(body);
    } catch {
      res.writeHead(502).end();
    }
  });
  proxy.on("upgrade", (req, socket: Socket, head: Buffer) => {
    if (blocked) {
      socket.end("HTTP/1.1 426 Upgrade Required\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
      return;
    }
    const tunnel = connect(Number(upstream.port), upstream.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      tunnel.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length) tunnel.write(head);
      tunnel.pipe(socket).pipe(tunnel);
    });
    tunnels.add(socket);
    const drop = () => {
      tunnels.delete(socket);
      socket.destroy();
      tunnel.destroy();
    };
    socket.on("close", drop).on("error", drop);
    tunnel.on("close", drop).on("error", drop);
  });
  servers.push(proxy);
  const port = await freePort();
  await new Promise<void>((resolve) => proxy.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      blocked = true;
      for (const socket of tunnels) socket.destroy();
    },
    allow() {
      blocked = false;
    },
  };
}

describe("peerdir-agent on the watch: renewals by ping", () => {
  it("makes no HTTP request while the socket is up; a changed probe result goes as a renew message on the socket", async () => {
    // A peer this node probes every second, on a port that first accepts and then stops.
    const flipping = createServer();
    servers.push(flipping);
    const port = await freePort();
    await new Promise<void>((resolve) => flipping.listen(port, "127.0.0.1", resolve));
    await register("flip-peer", `/ip4/127.0.0.1/tcp/${port}`);

    const a = await agent("pinger", fx.directory.url, ["--probe-interval", "1"]);
    // The first probe results reach the directory on the socket: one reporter saw the peer up.
    await waitFor(
      "the first probe results to reach the directory",
      async () => ((await counts(a)).renewedOnSocket >= 1 && (await nodeView("flip-peer")).reachability.okReporters === 1 ? true : undefined),
      15_000,
      [a],
    );
    const before = await counts(a);
    expect(before.watchOpened).toBe(1);

    // Probes go on every second with the same results: nothing to send. Then the peer stops
    // accepting, and that change alone goes on the socket.
    await sleep(3_000);
    expect((await counts(a)).renewedOnSocket).toBe(before.renewedOnSocket);
    await new Promise((resolve) => flipping.close(resolve));
    await waitFor("the failed probe to reach the directory", async () => ((await nodeView("flip-peer")).reachability.failedReporters === 1 ? true : undefined), 15_000, [a]);
    await sleep(5_000); // more pings, each holding the lease
    const after = await counts(a);
    expect(after.requests).toBe(before.requests); // not one HTTP request: no renewal, no poll, no reopened watch
    expect(after.renewedOnSocket).toBe(before.renewedOnSocket + 1);
    expect(after.pongs).toBeGreaterThanOrEqual(before.pongs + 2);
    expect((await nodeView("pinger")).state).toBe("active");
  });

  it("renews over HTTP while the socket is down, and stops once the watch is back", async () => {
    const proxy = await switchableProxy();
    const a = await agent("fallback", proxy.url, ["--probe-interval", "3600"]);
    await waitFor("the watch to open", async () => ((await counts(a)).watchOpened >= 1 ? true : undefined), 10_000, [a]);
    const up = await counts(a);

    // Socket down, plain HTTP up: the lease (10 s, renewed every ~3 s) is kept by HTTP renewals.
    proxy.cut();
    const down = await waitFor(
      "renewals over HTTP",
      async () => {
        const c = await counts(a);
        return c.renewals >= up.renewals + 2 ? c : undefined;
      },
      15_000,
      [a],
    );
    expect(down.value.watchOpened).toBe(up.watchOpened);
    expect((await nodeView("fallback")).state).toBe("active");

    // The watch is back: HTTP renewals stop.
    proxy.allow();
    await waitFor("the watch to reopen", async () => ((await counts(a)).watchOpened > up.watchOpened ? true : undefined), 20_000, [a]);
    await sleep(1_000); // a renewal already under way when the socket opened may still land
    const back = await counts(a);
    await sleep(8_000);
    const steady = await counts(a);
    expect(steady.requests).toBe(back.requests);
    expect(steady.pongs).toBeGreaterThanOrEqual(back.pongs + 2);
    expect((await nodeView("fallback")).state).toBe("active");
  });
});
