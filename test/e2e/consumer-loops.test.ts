// The seed's failure as a test: a consumer on one node asks its agent for peers in a loop (the
// RKE2 p2p endpoint, tens of requests a second for tens of seconds). The agent answers every
// request as usual, counts them, logs one warning when the loop starts and one line when it ends,
// and tells the directory, which shows the node looping in its nodes view and cluster metric
// within a minute, and clears it within two of the loop stopping. The other nodes' handouts do
// not change. Real Worker on 127.0.0.1, real agent processes, the documented defaults.
import { describe, expect, it } from "vitest";
import { type AgentProcess, agentCluster, get, getJson, waitFor } from "./agent-harness.js";

const CLUSTER = "consumer-loops";
const fx = agentCluster(CLUSTER);
const ENDPOINT = "/v1-rke2/p2p";
const LOOP_SECONDS = 20;
const PER_SECOND = 30;

interface Consumers {
  looping: boolean;
  requestsPerMinute: number;
  endpoint: string | null;
  since: string | null;
}

async function consumersOf(node: string): Promise<Consumers> {
  const res = await fetch(`${fx.directory.url}/v1/admin/clusters/${CLUSTER}/nodes`, { headers: { authorization: `Bearer ${fx.directory.adminToken}` } });
  expect(res.status).toBe(200);
  const { nodes } = (await res.json()) as { nodes: { id: string; consumers: Consumers }[] };
  return nodes.find((n) => n.id === node)!.consumers;
}

async function clusterMetric(): Promise<number> {
  const res = await fetch(`${fx.directory.url}/v1/admin/clusters/${CLUSTER}/metrics`, { headers: { authorization: `Bearer ${fx.directory.adminToken}` } });
  const match = /^peerdir_nodes_consumer_looping\{cluster="consumer-loops"\} (\d+)$/m.exec(await res.text());
  return Number(match?.[1]);
}

async function agentMetric(agent: AgentProcess, series: string): Promise<number> {
  const text = (await get(agent, "/metrics")).text;
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return Number(line?.slice(series.length + 1));
}

/** The agent's log lines about consumer loops (JSON logs). */
const loopLines = (agent: AgentProcess) =>
  agent.logs.map((l) => JSON.parse(l) as { level: string; msg: string; endpoint?: string; requestsPerMinute?: number }).filter((l) => /in a loop/.test(l.msg));

/** What a node is handed, as ids and addresses (reachability marks and order may move on their own). */
async function handout(agent: AgentProcess): Promise<string[]> {
  const { peers } = await getJson<{ peers: { id: string; addrs: string[] }[] }>(agent, "/peers");
  return peers.map((p) => `${p.id} ${p.addrs.join(",")}`).sort();
}

/** `PER_SECOND` requests a second to `ENDPOINT` for `seconds`, paced; every answer's status and time. */
async function loop(agent: AgentProcess, seconds: number): Promise<{ statuses: Set<number>; slowestMs: number; sent: number }> {
  const statuses = new Set<number>();
  let slowestMs = 0;
  let sent = 0;
  const start = Date.now();
  while (Date.now() - start < seconds * 1000) {
    const due = start + (sent * 1000) / PER_SECOND;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const t = performance.now();
    const res = await fetch(`${agent.base}${ENDPOINT}`, { headers: { accept: "application/json" } });
    await res.text();
    slowestMs = Math.max(slowestMs, performance.now() - t);
    statuses.add(res.status);
    sent++;
  }
  return { statuses, slowestMs, sent };
}

describe("a consumer asking for peers in a loop", () => {
  it("is counted and logged once by its agent, flagged in the directory within a minute, cleared within two of stopping", async () => {
    const looped = await fx.agent("looped");
    const others = [await fx.agent("b"), await fx.agent("c")];
    const all = [looped, ...others];
    for (const a of all) await waitFor(`${a.node} to see its two peers`, async () => ((await handout(a)).length === 2 ? true : undefined), 30_000, all);
    const before = await Promise.all(others.map(handout));
    expect(await consumersOf("looped")).toMatchObject({ looping: false });

    const started = Date.now();
    const running = loop(looped, LOOP_SECONDS);
    const flagged = await waitFor("the directory to flag the loop", async () => ((await consumersOf("looped")).looping ? true : undefined), 60_000, all);
    expect(flagged.ms).toBeLessThan(60_000);
    const shown = await consumersOf("looped");
    expect(shown.endpoint).toBe(ENDPOINT);
    expect(shown.requestsPerMinute).toBeGreaterThanOrEqual(900); // its pace (about 1,800), not the 61 that crossed the threshold
    expect(Date.parse(shown.since!)).toBeGreaterThanOrEqual(started - 1000);
    expect(await clusterMetric()).toBe(1);
    expect(await agentMetric(looped, "peerdir_agent_consumer_looping")).toBe(1);
    for (const other of others) expect(await agentMetric(other, "peerdir_agent_consumer_looping")).toBe(0);
    expect(await Promise.all(others.map(handout))).toEqual(before);

    const { statuses, slowestMs, sent } = await running;
    const stopped = Date.now();
    // Answered as ever: never refused, never held.
    expect([...statuses]).toEqual([200]);
    expect(slowestMs).toBeLessThan(500);
    expect(sent).toBeGreaterThan(LOOP_SECONDS * PER_SECOND * 0.8);
    expect(await agentMetric(looped, `peerdir_agent_consumer_requests_total{endpoint="${ENDPOINT}"}`)).toBeGreaterThanOrEqual(sent);
    expect(await agentMetric(looped, 'peerdir_agent_consumer_requests_total{endpoint="/id"}')).toBe(0);
    // However long it lasts: one line when it started, none since.
    expect(loopLines(looped)).toHaveLength(1);
    expect(loopLines(looped)[0]).toMatchObject({ level: "warn", endpoint: ENDPOINT });
    expect(loopLines(looped)[0]!.msg).toMatch(/Likely causes/);

    const cleared = await waitFor("the directory to clear the loop", async () => ((await consumersOf("looped")).looping ? undefined : true), 120_000, all);
    expect(Date.now() - stopped).toBeLessThan(120_000);
    expect(cleared.ms).toBeGreaterThan(30_000); // a minute under the threshold, not the first quiet second
    expect(await clusterMetric()).toBe(0);
    expect(await agentMetric(looped, "peerdir_agent_consumer_looping")).toBe(0);
    const lines = loopLines(looped);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: "info", endpoint: ENDPOINT });
    expect(await consumersOf("looped")).toMatchObject({ looping: false, endpoint: ENDPOINT });

    // The other nodes were handed the same peers throughout, and never looped.
    expect(await Promise.all(others.map(handout))).toEqual(before);
    for (const other of others) expect(loopLines(other)).toEqual([]);
  }, 240_000);
});
