import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstTcpTarget, type ProbeDeps, ProbeScheduler, type TcpTarget, tcpAccepts } from "../../src/agent/probes.js";
import { AgentReachability, probePermit, REPORT_BUDGET_BYTES } from "../../src/agent/reachability.js";
import { parseCidr } from "../../src/contract/cidr.js";
import { SelfCheck } from "../../src/agent/self-check.js";

describe("firstTcpTarget", () => {
  it("takes the first TCP address, skipping UDP/QUIC", () => {
    expect(firstTcpTarget(["/ip4/10.0.0.1/udp/5001/quic-v1", "/ip4/10.0.0.2/tcp/5002/p2p/QmYhKqgZLrFbduFUSvuWJbDCZ1TbSU8ZMTDFUNA8s7U4ca", "/ip4/10.0.0.3/tcp/5003"])).toEqual({
      host: "10.0.0.2",
      port: 5002,
    });
    expect(firstTcpTarget(["/ip6/fd00::1/tcp/4001"])).toEqual({ host: "fd00::1", port: 4001 });
    expect(firstTcpTarget(["/dns4/seed.example/tcp/4001"])).toEqual({ host: "seed.example", port: 4001 });
  });

  it("is null for UDP/QUIC-only and dnsaddr peers", () => {
    expect(firstTcpTarget(["/ip4/10.0.0.1/udp/5001/quic-v1"])).toBeNull();
    expect(firstTcpTarget(["/dnsaddr/bootstrap.example"])).toBeNull();
    expect(firstTcpTarget([])).toBeNull();
  });
});

/** A fake clock and timer queue, and a connect whose answers the test settles by hand. */
function harness(random = () => 0.5) {
  let now = 1_000_000;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 1;
  const pending: { target: TcpTarget; resolve: (ok: boolean) => void; startedAt: number }[] = [];
  const started: { target: string; at: number }[] = [];
  const deps: ProbeDeps = {
    now: () => now,
    random,
    connect: (target) =>
      new Promise<boolean>((resolve) => {
        started.push({ target: `${target.host}:${target.port}`, at: now });
        pending.push({ target, resolve, startedAt: now });
      }),
    setTimer: (fn, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimer: (id) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  const flush = () => new Promise((resolve) => setImmediate(resolve));
  return {
    deps,
    started,
    pending,
    get now() {
      return now;
    },
    /** Moves the clock, firing due timers in order. */
    async advance(ms: number) {
      const until = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > until) break;
        timers.shift();
        now = Math.max(now, next.at);
        next.fn();
        await flush();
      }
      now = until;
    },
    /** Settles every connect in flight whose host matches. */
    async settle(answer: (target: TcpTarget) => boolean) {
      const batch = pending.splice(0);
      for (const p of batch) p.resolve(answer(p.target));
      await flush();
      await flush();
    },
  };
}

const peer = (i: number, addrs = [`/ip4/10.0.${i >> 8}.${i & 255}/tcp/5001`]) => ({ id: `n${i}`, addrs });

describe("ProbeScheduler", () => {
  it("probes each peer once per interval, never more, and records results", async () => {
    const h = harness();
    const scheduler = new ProbeScheduler({ intervalMs: 60_000, firstSpreadMs: 5_000 }, h.deps);
    scheduler.setPeers([peer(1), peer(2)]);
    expect(h.started).toHaveLength(0);
    await h.advance(5_000);
    expect(h.started.map((s) => s.target).sort()).toEqual(["10.0.0.1:5001", "10.0.0.2:5001"]);
    await h.settle((t) => t.host === "10.0.0.1");
    expect(scheduler.result("n1")?.result).toBe("ok");
    expect(scheduler.result("n2")?.result).toBe("failed");
    expect(scheduler.counts).toEqual({ ok: 1, failed: 1, unknown: 0 });

    // Over ten minutes, with every probe answering at once: at most one per peer per minute.
    for (let i = 0; i < 600; i++) {
      await h.advance(1_000);
      await h.settle(() => true);
    }
    for (const id of ["10.0.0.1:5001", "10.0.0.2:5001"]) {
      const times = h.started.filter((s) => s.target === id).map((s) => s.at);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(60_000);
      expect(times.length).toBeGreaterThanOrEqual(9);
      expect(times.length).toBeLessThanOrEqual(11);
    }
    scheduler.stop();
  });

  it("keeps at most maxInFlight probes open, and starts the rest as slots free", async () => {
    const h = harness(Math.random);
    const scheduler = new ProbeScheduler({ maxInFlight: 16 }, h.deps);
    scheduler.setPeers(Array.from({ length: 100 }, (_, i) => peer(i)));
    await h.advance(10_000); // all due within 5 s, started by the next 5 s batch point
    expect(h.pending).toHaveLength(16);
    expect(scheduler.inFlight).toBe(16);
    let rounds = 0;
    while (h.pending.length > 0 && rounds++ < 20) {
      expect(h.pending.length).toBeLessThanOrEqual(16);
      await h.settle(() => false);
    }
    expect(new Set(h.started.map((s) => s.target)).size).toBe(100);
    expect(scheduler.counts.failed).toBe(100);
    scheduler.stop();
  });

  it("spreads first probes over firstSpreadMs and later ones over a jitter after the interval", async () => {
    const h = harness(Math.random);
    // Unbatched, to see the spread itself (batching is the next test).
    const scheduler = new ProbeScheduler({ intervalMs: 60_000, firstSpreadMs: 5_000, maxInFlight: 1000, batchMs: 0 }, h.deps);
    scheduler.setPeers(Array.from({ length: 50 }, (_, i) => peer(i)));
    const start = h.now;
    for (let i = 0; i < 80; i++) {
      await h.advance(1_000);
      await h.settle(() => true);
    }
    const first = h.started.slice(0, 50).map((s) => s.at - start);
    expect(Math.max(...first)).toBeLessThanOrEqual(5_000);
    expect(new Set(first).size).toBeGreaterThan(2);
    const second = h.started.slice(50).map((s) => s.at - start);
    expect(second.length).toBeGreaterThan(0);
    expect(Math.min(...second)).toBeGreaterThanOrEqual(60_000);
    expect(new Set(second).size).toBeGreaterThan(2);
    scheduler.stop();
  });

  it("batches wake-ups on a 5 s grid: 100 peers take about 13 wake-ups a minute, and no probe starts early", async () => {
    const h = harness(Math.random);
    let wakeUps = 0;
    const deps: ProbeDeps = {
      ...h.deps,
      setTimer: (fn, ms) =>
        h.deps.setTimer(() => {
          wakeUps++;
          fn();
        }, ms),
    };
    // No slot limit here (the previous test has it): a probe waiting for a slot starts when one frees, off the grid.
    const scheduler = new ProbeScheduler({ intervalMs: 60_000, firstSpreadMs: 5_000, maxInFlight: 1000 }, deps);
    scheduler.setPeers(Array.from({ length: 100 }, (_, i) => peer(i)));
    const start = h.now;
    for (let i = 0; i < 600; i++) {
      await h.advance(1_000);
      await h.settle(() => true);
    }
    const minutes = (h.now - start) / 60_000;
    // Unbatched, each of the ~900 probes would be its own wake-up.
    expect(h.started.length).toBeGreaterThan(800);
    expect(wakeUps / minutes).toBeLessThanOrEqual(13);
    // Every start lies on the agent's grid (one phase, 5 s apart), and each peer's starts stay an interval apart.
    const steps = (at: number) => (at - h.started[0]!.at) / 5_000;
    for (const s of h.started) expect(steps(s.at)).toBeCloseTo(Math.round(steps(s.at)), 6);
    for (let i = 0; i < 100; i++) {
      const times = h.started.filter((s) => s.target === `10.0.0.${i}:5001`).map((s) => s.at);
      for (let j = 1; j < times.length; j++) expect(times[j]! - times[j - 1]!).toBeGreaterThanOrEqual(60_000);
    }
    scheduler.stop();
  });

  it("reports UDP/QUIC-only peers as unknown without probing, and forgets peers that leave the handout", async () => {
    const h = harness();
    const scheduler = new ProbeScheduler({}, h.deps);
    scheduler.setPeers([peer(1), { id: "quic", addrs: ["/ip4/10.0.0.9/udp/5001/quic-v1"] }]);
    expect(scheduler.result("quic")?.result).toBe("unknown");
    await h.advance(5_000);
    expect(h.started.map((s) => s.target)).toEqual(["10.0.0.1:5001"]);
    // n1 leaves while its probe runs: the late answer is dropped.
    scheduler.setPeers([{ id: "quic", addrs: ["/ip4/10.0.0.9/udp/5001/quic-v1"] }]);
    await h.settle(() => true);
    expect(scheduler.result("n1")).toBeNull();
    expect([...scheduler.results().keys()]).toEqual(["quic"]);
    scheduler.stop();
  });

  it("starts afresh when a peer's first TCP address changes, and hands out only results newer than asked", async () => {
    const h = harness();
    const scheduler = new ProbeScheduler({}, h.deps);
    scheduler.setPeers([peer(1)]);
    await h.advance(5_000);
    await h.settle(() => false);
    const firstAt = scheduler.result("n1")!.at;
    expect(scheduler.resultsSince(firstAt - 1).get("n1")?.result).toBe("failed");
    expect(scheduler.resultsSince(firstAt).size).toBe(0);
    scheduler.setPeers([{ id: "n1", addrs: ["/ip4/10.9.9.9/tcp/4001"] }]);
    expect(scheduler.result("n1")).toBeNull();
    await h.advance(5_000);
    expect(h.started.at(-1)?.target).toBe("10.9.9.9:4001");
    scheduler.stop();
  });
});

describe("what may be probed", () => {
  const local = (probing: boolean, ...ranges: string[]) => ({ probing, ranges: ranges.map((r) => parseCidr(r)!) });
  const target = (host: string) => ({ host, port: 5001 });

  it("without restrictions, anything; with --no-probes or the cluster's probing off, nothing", () => {
    expect(probePermit(local(true), undefined)(target("10.0.0.1"))).toBe(true);
    expect(probePermit(local(true), undefined)(target("seed.example"))).toBe(true);
    expect(probePermit(local(false), undefined)(target("127.0.0.1"))).toBe(false);
    expect(probePermit(local(true), { probing: "off", ranges: [] })(target("127.0.0.1"))).toBe(false);
    // The cluster cannot turn on what the agent turned off.
    expect(probePermit(local(false), { probing: "on", ranges: ["0.0.0.0/0"] })(target("127.0.0.1"))).toBe(false);
  });

  it("within ranges, only addresses both the agent's and the cluster's ranges hold; a DNS name lies in none", () => {
    const agentOnly = probePermit(local(true, "127.0.0.0/8", "fd00::/8"), undefined);
    expect(agentOnly(target("127.9.9.9"))).toBe(true);
    expect(agentOnly(target("fd12::1"))).toBe(true);
    expect(agentOnly(target("10.0.0.1"))).toBe(false);
    expect(agentOnly(target("::1"))).toBe(false);
    expect(agentOnly(target("localhost"))).toBe(false);
    const both = probePermit(local(true, "127.0.0.0/8"), { probing: "on", ranges: ["127.0.0.0/16"] });
    expect(both(target("127.0.5.1"))).toBe(true);
    expect(both(target("127.1.0.1"))).toBe(false);
    const clusterOnly = probePermit(local(true), { probing: "on", ranges: ["10.1.0.0/16"] });
    expect(clusterOnly(target("10.1.200.3"))).toBe(true);
    expect(clusterOnly(target("10.2.0.1"))).toBe(false);
  });

  it("reads what the directory sent strictly: an unknown mode is off, ranges that do not parse allow nothing", () => {
    const odd = (policy: unknown) => probePermit(local(true), policy as Parameters<typeof probePermit>[1])(target("127.0.0.1"));
    expect(odd({ probing: "sometimes", ranges: [] })).toBe(false);
    expect(odd({ probing: "on", ranges: ["not-a-range"] })).toBe(false);
    expect(odd({ probing: "on", ranges: "127.0.0.0/8" })).toBe(false);
    expect(odd({ probing: "on", ranges: [] })).toBe(true);
    expect(odd(undefined)).toBe(true);
  });

  it("a scheduler never connects to a peer it may not probe, records nothing for it, and follows a change", async () => {
    const h = harness();
    const scheduler = new ProbeScheduler({}, h.deps);
    scheduler.setPermits(probePermit(local(true, "10.0.0.0/24"), undefined));
    scheduler.setPeers([peer(1), { id: "far", addrs: ["/ip4/10.0.9.9/tcp/5001"] }]);
    for (let i = 0; i < 5; i++) {
      await h.advance(60_000);
      await h.settle(() => true);
    }
    expect(new Set(h.started.map((s) => s.target))).toEqual(new Set(["10.0.0.1:5001"]));
    expect(scheduler.result("far")).toBeNull();
    // The cluster turns probing off: nothing more starts, and the old result is forgotten.
    const before = h.started.length;
    scheduler.setPermits(probePermit(local(true), { probing: "off", ranges: [] }));
    expect(scheduler.result("n1")).toBeNull();
    await h.advance(300_000);
    expect(h.started).toHaveLength(before);
    // And on again: both are probed.
    scheduler.setPermits(probePermit(local(true), undefined));
    await h.advance(5_000);
    expect(new Set(h.started.slice(before).map((s) => s.target))).toEqual(new Set(["10.0.0.1:5001", "10.0.9.9:5001"]));
    scheduler.stop();
  });
});

describe("tcpAccepts and SelfCheck (real sockets on 127.0.0.1)", () => {
  let server: Server;
  let port: number;
  let closedPort: number;

  beforeAll(async () => {
    server = createServer((socket) => socket.destroy());
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as { port: number }).port;
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    closedPort = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("accepts a listener and refuses a closed port", async () => {
    expect(await tcpAccepts({ host: "127.0.0.1", port }, 3_000)).toBe(true);
    expect(await tcpAccepts({ host: "127.0.0.1", port: closedPort }, 3_000)).toBe(false);
  });

  it("is ready when the advertised address accepts connections, and says so once per change", async () => {
    const changes: boolean[] = [];
    const up = new SelfCheck([`/ip4/127.0.0.1/tcp/${port}`], { enabled: true, intervalMs: 60_000, timeoutMs: 3_000 }, (r) => changes.push(r));
    expect(await up.start()).toBe(true);
    expect(up.ready).toBe(true);
    up.stop();
    const down = new SelfCheck([`/ip4/127.0.0.1/tcp/${closedPort}`], { enabled: true, intervalMs: 60_000, timeoutMs: 3_000 }, (r) => changes.push(r));
    expect(await down.check()).toBe(false);
    expect(await down.check()).toBe(false);
    expect(down.ready).toBe(false);
    expect(changes).toEqual([true]);
  });

  it("is always ready when turned off or with nothing to try", async () => {
    const off = new SelfCheck([`/ip4/127.0.0.1/tcp/${closedPort}`], { enabled: false, intervalMs: 60_000, timeoutMs: 3_000 });
    expect(off.active).toBe(false);
    expect(await off.start()).toBe(true);
    expect(off.ready).toBe(true);
    const quic = new SelfCheck(["/ip4/127.0.0.1/udp/4001/quic-v1"], { enabled: true, intervalMs: 60_000, timeoutMs: 3_000 });
    expect(await quic.check()).toBe(true);
  });
});

describe("AgentReachability reports", () => {
  it("carries only results the directory has not acknowledged, oldest first, within the body budget", async () => {
    let now = 1_000_000;
    const timers: (() => void)[] = [];
    const reach = new AgentReachability(
      { addrs: ["/ip4/127.0.0.1/udp/1/quic-v1"], selfCheck: true, probeInterval: 60, probing: true, probeRanges: [] },
      { onReadyChange: () => {}, onProbeChange: () => {} },
      {
        now: () => now,
        random: () => 0,
        connect: async () => {
          now += 1;
          return false;
        },
        setTimer: (fn) => {
          timers.push(fn);
          return timers.length;
        },
        clearTimer: () => {},
      },
    );
    const ids = Array.from({ length: 400 }, (_, i) => `peer-with-a-rather-long-node-id-${String(i).padStart(4, "0")}`);
    reach.probes.setPeers(ids.map((id, i) => ({ id, addrs: [`/ip4/10.0.${i >> 8}.${i & 255}/tcp/5001`] })));
    while (timers.length) timers.shift()!();
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(reach.probes.results().size).toBe(400);

    const sent = new Set<string>();
    for (let round = 0; round < 10 && sent.size < 400; round++) {
      const fields = reach.renewalFields(now);
      const reports = fields.reports ?? {};
      expect(JSON.stringify(reports).length).toBeLessThanOrEqual(REPORT_BUDGET_BYTES);
      for (const [id, report] of Object.entries(reports)) {
        expect(report).toEqual({ result: "failed", ageSeconds: 0 });
        sent.add(id);
      }
      reach.acknowledge(fields);
    }
    expect(sent.size).toBe(400);
    expect(reach.renewalFields(now).reports).toBeUndefined();
    expect(reach.renewalFields(now).ready).toBeUndefined(); // UDP-only: nothing to self-check, ready
    reach.stop();
  });

  it("for the watch socket, carries only results that changed since the directory took them", async () => {
    let now = 1_000_000;
    let accepting = new Set<string>();
    const timers: (() => void)[] = [];
    const reach = new AgentReachability(
      { addrs: ["/ip4/127.0.0.1/udp/1/quic-v1"], selfCheck: true, probeInterval: 60, probing: true, probeRanges: [] },
      { onReadyChange: () => {}, onProbeChange: () => {} },
      {
        now: () => now,
        random: () => 0,
        connect: async (target) => accepting.has(target.host),
        setTimer: (fn) => {
          timers.push(fn);
          return timers.length;
        },
        clearTimer: () => {},
      },
    );
    const round = async () => {
      while (timers.length) timers.shift()!();
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    };
    reach.probes.setPeers([
      { id: "a", addrs: ["/ip4/10.0.0.1/tcp/5001"] },
      { id: "b", addrs: ["/ip4/10.0.0.2/tcp/5001"] },
    ]);
    await round();
    const first = reach.renewalFields(now, true);
    expect(Object.keys(first.reports ?? {}).sort()).toEqual(["a", "b"]);
    reach.acknowledge(first);
    expect(reach.renewalFields(now, true).reports).toBeUndefined();
    // The next round finds the same: nothing to send.
    now += 61_000;
    await round();
    expect(reach.renewalFields(now, true).reports).toBeUndefined();
    // b starts accepting: b alone.
    accepting = new Set(["10.0.0.2"]);
    now += 61_000;
    await round();
    const changed = reach.renewalFields(now, true);
    expect(changed.reports).toEqual({ b: { result: "ok", ageSeconds: 0 } });
    // Unanswered (its socket ended): it goes again.
    reach.unacknowledged();
    const again = reach.renewalFields(now, true);
    expect(again.reports).toEqual({ b: { result: "ok", ageSeconds: 0 } });
    reach.acknowledge(again);
    expect(reach.renewalFields(now, true).reports).toBeUndefined();
    // A new socket (the directory may have restarted and forgotten): every current result again.
    reach.restate();
    expect(reach.renewalFields(now, true).reports).toEqual({ a: { result: "failed", ageSeconds: 0 }, b: { result: "ok", ageSeconds: 0 } });
    reach.stop();
  });
});
