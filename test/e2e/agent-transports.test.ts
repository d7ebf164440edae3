// Each way the agent hears about peer changes, end to end: real `peerdir-agent` processes against
// the real directory Worker in local workerd. A peer that joins (registered straight through the
// API) must show up at the agent pushed, not polled: the agents run with a --poll-interval far
// longer than the bound, so only the watch or a held long-poll can explain it. Then auto mode on
// the oldest Node.js here (Node 20: no global WebSocket, the watch all the same), and auto mode
// behind a proxy that breaks first the watch and then long-polls, which must step down
// watch → long-poll → poll.
import { createServer } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { oldestNode } from "../support/nodes.js";
import { type AgentProcess, agentCluster, freePort, get, getJson, peerId, waitFor } from "./agent-harness.js";

interface PeersView {
  version: number;
  peers: { id: string; addrs: string[] }[];
  stale: boolean;
  transport?: string;
}

const CLUSTER = "transports";
const oldest = oldestNode();
const SLOW_POLL = "60"; // far beyond every bound below: a poll cannot explain a fast update
const fx = agentCluster(CLUSTER);
const { servers } = fx;

const agent = fx.agent;

/** Registers a node straight through the API, as another node's agent would; returns its credential. */
async function join_(node: string): Promise<string> {
  const res = await fetch(`${fx.directory.url}/v1/clusters/${CLUSTER}/nodes/${node}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${fx.joinToken}`, "content-type": "application/json" },
    body: JSON.stringify({ addrs: [`/ip4/127.2.0.1/tcp/5001/p2p/${await peerId()}`], ttlSeconds: 60 }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { credential: string }).credential;
}

async function leave(node: string, credential: string): Promise<void> {
  const res = await fetch(`${fx.directory.url}/v1/clusters/${CLUSTER}/nodes/${node}`, { method: "DELETE", headers: { authorization: `Bearer ${credential}` } });
  expect(res.status).toBe(204);
}

const metrics = async (a: AgentProcess) => (await get(a, "/metrics")).text;

/** Waits until `a` is synced and says it uses `transport` in /metrics and /peers. */
async function onTransport(a: AgentProcess, transport: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    `${a.node} to sync on ${transport}`,
    async () => {
      if ((await get(a, "/healthz")).status !== 200) return undefined;
      if (!(await metrics(a)).includes(`peerdir_agent_transport{transport="${transport}"} 1\n`)) return undefined;
      return (await getJson<PeersView>(a, "/peers")).transport === transport ? true : undefined;
    },
    timeoutMs,
    [a],
  );
  const text = await metrics(a);
  for (const other of ["watch", "long-poll", "poll"].filter((t) => t !== transport)) {
    expect(text).toContain(`peerdir_agent_transport{transport="${other}"} 0\n`);
  }
}

/** Time from a peer's join until `a` serves it, and from its leave until `a` drops it. */
async function joinAndLeaveSeenWithin(a: AgentProcess, peer: string, boundMs: number): Promise<void> {
  // Let the first long-poll or watch settle, so the join lands on a held request or an open socket.
  await new Promise((r) => setTimeout(r, 300));
  const credential = await join_(peer);
  const joined = await waitFor(
    `${a.node} to serve ${peer}`,
    async () => ((await getJson<PeersView>(a, "/peers")).peers.some((p) => p.id === peer) ? true : undefined),
    boundMs + 2_000,
    [a],
  );
  expect(joined.ms).toBeLessThan(boundMs);
  await leave(peer, credential);
  const left = await waitFor(
    `${a.node} to drop ${peer}`,
    async () => ((await getJson<PeersView>(a, "/peers")).peers.some((p) => p.id === peer) ? undefined : true),
    boundMs + 2_000,
    [a],
  );
  expect(left.ms).toBeLessThan(boundMs);
}

describe("peerdir-agent transports against the real directory", () => {
  it("auto uses the WebSocket watch: a join and a leave are pushed within 1 s", async () => {
    const a = await agent("w-agent", ["--poll-interval", SLOW_POLL]);
    await onTransport(a, "watch");
    await joinAndLeaveSeenWithin(a, "w-peer", 1_000);
    const text = await metrics(a);
    expect(text).toMatch(/peerdir_agent_watch_messages_total\{type="snapshot"\} 1\n/);
    expect(text).toMatch(/peerdir_agent_watch_messages_total\{type="delta"\} [2-9]\n/);
    expect(text).toContain('peerdir_agent_requests_total{request="watch",result="ok"} 1\n');
    expect(text).not.toContain('request="peers"'); // no polling at all
    expect(text).toContain("peerdir_agent_directory_degraded 0\n");
    expect(a.logs.some((l) => l.includes("transport:"))).toBe(false); // no transport change happened
  });

  it("on the watch the lease is held by pings: no renewal requests while pongs come, and the lease stays live", async () => {
    // Probe results that change go on the socket (agent-socket-renewals.test.ts covers them);
    // here the probes run once an hour, so only pings are on the wire.
    const a = await agent("pinger", ["--transport", "watch", "--ttl", "10", "--poll-interval", SLOW_POLL, "--probe-interval", "3600"]);
    await onTransport(a, "watch");
    await new Promise((r) => setTimeout(r, 9_000));
    const count = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"=,]/g, (c) => `\\${c}`)} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
    const before = await metrics(a);
    // A 10 s lease is renewed every ~3.3 s over HTTP; by ping the agent makes no request for 8 s.
    await new Promise((r) => setTimeout(r, 8_000));
    const after = await metrics(a);
    expect(count(after, 'peerdir_agent_requests_total{request="renew",result="ok"}')).toBe(count(before, 'peerdir_agent_requests_total{request="renew",result="ok"}'));
    expect(count(after, 'peerdir_agent_watch_messages_total{type="pong"}')).toBeGreaterThan(count(before, 'peerdir_agent_watch_messages_total{type="pong"}') + 1);
    const nodes = await fetch(`${fx.directory.url}/v1/admin/clusters/${CLUSTER}/nodes`, { headers: { authorization: `Bearer ${fx.directory.adminToken}` } });
    const view = (await nodes.json()) as { nodes: { id: string; state: string }[] };
    expect(view.nodes.find((n) => n.id === "pinger")?.state).toBe("active");
  });

  it("a watch closed with 4001 (credential revoked) makes the agent register again with the join token and watch again", async () => {
    const a = await agent("w-revoked", ["--poll-interval", SLOW_POLL]);
    await onTransport(a, "watch");
    const res = await fetch(`${fx.directory.url}/v1/admin/clusters/${CLUSTER}/nodes/w-revoked/credential`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${fx.directory.adminToken}` },
    });
    expect(res.status).toBe(204);
    await waitFor(
      "a second watch after registering again",
      async () => {
        const text = await metrics(a);
        return text.includes('request="watch",result="ok"} 2\n') && text.includes('request="register",result="ok"} 2\n') ? true : undefined;
      },
      8_000,
      [a],
    );
    // The close code 4001 says it directly. Local workerd never completes a close it starts, so
    // the client may not get the code; then the reopened watch is refused and the plain request
    // after it gets the 401. Either way: one warning, a join-token registration, a new watch.
    const text = await metrics(a);
    expect(text).toMatch(/peerdir_agent_requests_total\{request="(watch|peers)",result="unauthorized"\} 1\n/);
    expect(a.logs.filter((l) => l.includes("rejected this node's credential")).length).toBe(1);
    await onTransport(a, "watch");
  });

  it("--transport long-poll: a join and a leave arrive on the held request within 1.5 s", async () => {
    const a = await agent("lp-agent", ["--transport", "long-poll", "--poll-interval", SLOW_POLL]);
    await onTransport(a, "long-poll");
    await joinAndLeaveSeenWithin(a, "lp-peer", 1_500);
    const text = await metrics(a);
    // Held, not spinning: the first plain read, one answer per change, no 304 yet (each waits 30 s).
    expect(text).toMatch(/peerdir_agent_requests_total\{request="long_poll",result="ok"\} [2-4]\n/);
    expect(text).not.toContain('request="long_poll",result="not_modified"');
    expect(text).not.toContain('request="watch"');
  });

  it("--transport poll --poll-interval 1: a join and a leave arrive within one poll", async () => {
    const a = await agent("p-agent", ["--transport", "poll", "--poll-interval", "1"]);
    await onTransport(a, "poll");
    await joinAndLeaveSeenWithin(a, "p-peer", 2_000); // 1 s ±10 %, plus request time on a busy machine
    const text = await metrics(a);
    expect(text).toMatch(/peerdir_agent_requests_total\{request="peers",result="ok"\} [2-9]\n/);
    expect(text).not.toContain('request="watch"');
    expect(text).not.toContain('request="long_poll"');
  });

  it(`auto on the oldest Node here (${oldest.version}; the system Node 20 on CI) watches: pushed changes, the lease held by pings, no HTTP request`, async () => {
    // The agent brings its own WebSocket client, so Node 20 (no global WebSocket) gets the watch
    // too. A 10 s lease would be renewed every ~3.3 s over HTTP; probes run once an hour.
    const a = await agent("n20-agent", ["--ttl", "10", "--poll-interval", SLOW_POLL, "--probe-interval", "3600"], { execPath: join(oldest.binDir, "node") });
    await onTransport(a, "watch");
    await joinAndLeaveSeenWithin(a, "n20-peer", 1_000);
    const total = (text: string) => [...text.matchAll(/^peerdir_agent_requests_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    const pongs = (text: string) => Number(/^peerdir_agent_watch_messages_total\{type="pong"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    const before = await metrics(a);
    await new Promise((r) => setTimeout(r, 8_000));
    const after = await metrics(a);
    expect(total(after)).toBe(total(before)); // not one request of any kind: no renewal, no poll, no reopened watch
    expect(pongs(after)).toBeGreaterThanOrEqual(pongs(before) + 2);
    expect(after).toContain('peerdir_agent_transport{transport="watch"} 1\n');
    expect(a.logs.some((l) => l.includes("transport:"))).toBe(false);
    const nodes = await fetch(`${fx.directory.url}/v1/admin/clusters/${CLUSTER}/nodes`, { headers: { authorization: `Bearer ${fx.directory.adminToken}` } });
    expect(((await nodes.json()) as { nodes: { id: string; state: string }[] }).nodes.find((n) => n.id === "n20-agent")?.state).toBe("active");
  });

  it("auto steps down watch → long-poll → poll behind a proxy that strips upgrades and answers long-polls at once", async () => {
    // A forwarding proxy that cannot carry WebSockets (it answers an upgrade with 426, as the
    // directory does to a plain GET) and drops `wait` from the query, so each long-poll comes back
    // 304 at once: the two ways proxies break push.
    const proxy = createServer(async (req, res) => {
      const url = new URL(req.url ?? "/", fx.directory.url);
      url.searchParams.delete("wait");
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers: Record<string, string> = {};
      for (const name of ["authorization", "content-type", "if-none-match", "accept", "user-agent"]) {
        const v = req.headers[name];
        if (typeof v === "string") headers[name] = v;
      }
      try {
        const upstream = await fetch(url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
        const body = Buffer.from(await upstream.arrayBuffer());
        const out: Record<string, string> = { "content-length": String(body.length) };
        for (const name of ["content-type", "etag", "retry-after"]) {
          const v = upstream.headers.get(name);
          if (v) out[name] = v;
        }
        res.writeHead(upstream.status, out).end(body);
      } catch {
        res.writeHead(502).end();
      }
    });
    proxy.on("upgrade", (_req, socket) => {
      socket.end("HTTP/1.1 426 Upgrade Required\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    });
    servers.push(proxy);
    const port = await freePort();
    await new Promise<void>((resolve) => proxy.listen(port, "127.0.0.1", resolve));

    const a = await agent("px-agent", ["--poll-interval", "1"], { url: `http://127.0.0.1:${port}` });
    // Two failed upgrades (1-3 s apart), then three unheld long-polls (1 s apart), then polling.
    await onTransport(a, "poll", 15_000);
    const changes = a.logs.filter((l) => l.includes("transport:"));
    expect(changes).toHaveLength(2);
    expect(changes[0]).toContain("transport: watch → long-poll (the WebSocket upgrade failed 2 times while plain HTTP works)");
    expect(changes[1]).toContain("transport: long-poll → poll (3 long-polls in a row came back unchanged at once instead of waiting)");
    const text = await metrics(a);
    expect(text).toContain('peerdir_agent_requests_total{request="watch",result="upgrade_failed"} 2\n');
    // At least three: a change in the shared cluster (another test's agent reporting probe results)
    // answers a long-poll with 200 and restarts the count.
    expect(Number(/^peerdir_agent_requests_total\{request="long_poll",result="not_modified"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(3);
    // Polling through the proxy still works.
    await joinAndLeaveSeenWithin(a, "px-peer", 2_000);
  });
});
