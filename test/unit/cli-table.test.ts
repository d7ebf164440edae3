// Human output of the `peerdir` CLI: table layout, key/value blocks, terminal-safe text, and the
// views of each admin answer.
import { describe, expect, it } from "vitest";
import type { AuditEntry, ClusterDetail, NodeView } from "../../src/contract/admin.js";
import { clean, renderFields, renderTable } from "../../src/cli/table.js";
import { auditView, clusterView, clustersView, createdClusterView, createdTokenView, handoutView, nodesView, overrideView, relative, tokensView } from "../../src/cli/views.js";

const NOW = Date.parse("2026-01-01T12:00:00.000Z");
const at = (offsetSeconds: number) => new Date(NOW + offsetSeconds * 1000).toISOString();

describe("renderTable", () => {
  it("aligns columns two spaces apart with no trailing whitespace", () => {
    const text = renderTable(
      ["NAME", "NODES"],
      [
        ["prod", "12"],
        ["a-much-longer-name", "3"],
      ],
    );
    expect(text.split("\n")).toEqual(["NAME                NODES", "prod                12", "a-much-longer-name  3"]);
  });

  it("spreads a list cell over several lines and shows an empty list as '-'", () => {
    const text = renderTable(
      ["ID", "ADDRS", "LABELS"],
      [
        ["a", ["/ip4/1.1.1.1/tcp/1", "/ip4/2.2.2.2/tcp/2"], []],
        ["b", ["/ip4/3.3.3.3/tcp/3"], ["k=v"]],
      ],
    );
    expect(text.split("\n")).toEqual(["ID  ADDRS               LABELS", "a   /ip4/1.1.1.1/tcp/1  -", "    /ip4/2.2.2.2/tcp/2", "b   /ip4/3.3.3.3/tcp/3  k=v"]);
  });

  it("never passes control characters or bidi overrides to the terminal", () => {
    const text = renderTable(["LABEL"], [["zone=\u001b[31mred\nnext\u202e"]]);
    expect(text).toBe("LABEL\nzone=\\x1b[31mred\\nnext\\u202e");
    expect(clean("tab\there\u0085\u007f")).toBe("tab\\there\\x85\\x7f");
    expect(clean("plain ascii, ünïcode ok")).toBe("plain ascii, ünïcode ok");
  });
});

describe("renderFields", () => {
  it("aligns values and continues lists on the next lines", () => {
    expect(
      renderFields([
        ["node", "seed-1"],
        ["addrs", ["/ip4/1.1.1.1/tcp/1", "/ip4/2.2.2.2/tcp/2"]],
        ["expires", "never"],
      ]).split("\n"),
    ).toEqual(["node     seed-1", "addrs    /ip4/1.1.1.1/tcp/1", "         /ip4/2.2.2.2/tcp/2", "expires  never"]);
  });
});

describe("relative times", () => {
  it("reads as seconds, minutes, hours or days before or after now", () => {
    expect(relative(null, NOW)).toBe("-");
    expect(relative(at(0), NOW)).toBe("now");
    expect(relative(at(52), NOW)).toBe("in 52s");
    expect(relative(at(-8), NOW)).toBe("8s ago");
    expect(relative(at(-600), NOW)).toBe("10m ago");
    expect(relative(at(3 * 3600), NOW)).toBe("in 3h");
    expect(relative(at(-5 * 86400), NOW)).toBe("5d ago");
    expect(relative("garbage", NOW)).toBe("garbage");
  });
});

describe("views", () => {
  it("labels a secret as shown once and prints it on its own line", () => {
    const text = createdClusterView({ name: "prod", joinToken: "pdj_secret", joinTokenId: "t1", createdAt: at(0) });
    expect(text).toContain("Created cluster prod");
    expect(text).toMatch(/Join token \(shown only this once; the directory keeps only its hash\):\n {2}pdj_secret$/);
    const token = createdTokenView("prod", { id: "abc", token: "pdj_other", createdAt: at(0), expiresAt: null });
    expect(token).toContain("Created join token abc for cluster prod (expires: never).");
    expect(token.endsWith("\n  pdj_other")).toBe(true);
  });

  it("says so when a list is empty", () => {
    expect(clustersView([])).toBe("No clusters.");
    expect(tokensView([])).toBe("No join tokens.");
    expect(nodesView([], NOW)).toBe("No nodes.");
    expect(auditView([])).toBe("No audit entries.");
    expect(handoutView("a", { version: 3, peers: [] })).toBe("a would receive 0 peers (version 3).");
  });

  it("shows a cluster's settings in the CLI's own flag names", () => {
    const c: ClusterDetail = {
      name: "prod",
      nodes: 2,
      version: 9,
      createdAt: at(0),
      degraded: false,
      reachability: { reachable: 1, unknown: 0, unreachable: 1, notReady: 1 },
      consumerLoops: 0,
      settings: {
        minTtlSeconds: 10,
        defaultTtlSeconds: 60,
        maxTtlSeconds: 3600,
        maxNodes: 10000,
        minIntervalSeconds: 0,
        defaultLimit: null,
        addressPolicy: "any",
        probing: "on",
        probeRanges: [],
      },
    };
    const text = clusterView(c);
    expect(text).toContain("default-ttl     60s");
    expect(text).toContain("min-interval    0 (no per-node rate limit)");
    expect(text).toContain("default-limit   none (every peer)");
    expect(text).toContain("degraded        no\n");
    expect(text).toContain("reachability    1 reachable, 0 unknown, 1 unreachable, 1 not ready\n");
    expect(
      clusterView({
        ...c,
        settings: { ...c.settings, defaultLimit: 8, minIntervalSeconds: 0.5, addressPolicy: "observed-ip", probing: "off", probeRanges: ["10.0.0.0/8", "fd00::/8"] },
      }),
    ).toMatch(/min-interval {4}0\.5s\ndefault-limit {3}8\naddress-policy {2}observed-ip\nprobing {9}off \(agents probe no peer\)\nprobe-ranges {4}10\.0\.0\.0\/8, fd00::\/8$/);
    expect(text).toContain("consumer-loops  none\n");
    expect(clusterView({ ...c, consumerLoops: 2 })).toContain("consumer-loops  2 nodes whose consumers ask for peers in a loop (see peerdir node list)\n");
    expect(clusterView({ ...c, degraded: true })).toMatch(/^degraded {8}yes: self-preservation is keeping leases that ran out/m);
  });

  it("marks degraded clusters in the list", () => {
    const base = { nodes: 1, version: 2, createdAt: at(0), reachability: { reachable: 0, unknown: 1, unreachable: 0, notReady: 0 }, consumerLoops: 0 };
    expect(
      clustersView([
        { name: "ok", ...base, degraded: false },
        { name: "held", ...base, degraded: true },
      ]).split("\n"),
    ).toEqual(["NAME  NODES  VERSION  CREATED                   DEGRADED", `ok    1      2        ${at(0)}  -`, `held  1      2        ${at(0)}  yes`]);
  });

  it("shows nodes with state, source, every address and label, and lease times relative to now", () => {
    const nodes: NodeView[] = [
      {
        id: "a",
        addrs: ["/ip4/10.0.0.1/tcp/1", "/ip4/10.0.0.1/udp/1/quic-v1"],
        labels: { zone: "z1" },
        source: "lease",
        state: "draining",
        expiresAt: at(45),
        registeredAt: at(-3600),
        lastRenewedAt: at(-15),
        observedIp: "192.0.2.7",
        ready: false,
        reachability: { state: "unreachable", failedReporters: 3, okReporters: 0, checkedAt: at(-5) },
        consumers: { looping: true, requestsPerMinute: 1800, endpoint: "/id", since: at(-150) },
        transport: "watch",
        reason: "kernel upgrade",
      },
      {
        id: "seed",
        addrs: ["/dns4/seed.example/tcp/4001"],
        labels: {},
        source: "pin",
        state: "active",
        expiresAt: null,
        registeredAt: null,
        lastRenewedAt: null,
        observedIp: null,
        ready: true,
        reachability: { state: "unknown", failedReporters: 0, okReporters: 0, checkedAt: null },
        consumers: { looping: false, requestsPerMinute: 0, endpoint: null, since: null },
        transport: null,
        reason: "static seed",
      },
      {
        id: "gone",
        addrs: ["/ip4/10.0.0.3/tcp/1"],
        labels: {},
        source: "lease",
        state: "blocked",
        expiresAt: null,
        registeredAt: at(-600),
        lastRenewedAt: at(-60),
        observedIp: "192.0.2.8",
        ready: true,
        reachability: { state: "unknown", failedReporters: 0, okReporters: 0, checkedAt: null },
        consumers: { looping: false, requestsPerMinute: 0, endpoint: null, since: null },
        transport: null,
        reason: "compromised host",
      },
    ];
    expect(nodesView(nodes, NOW).split("\n")).toEqual([
      "ID    STATE     READY  REACHABILITY          CONSUMERS                    SOURCE  ADDRS                        LABELS   EXPIRES  RENEWED  REGISTERED  IP",
      "a     draining  no     unreachable 3 failed  looping 1800/min /id for 3m  lease   /ip4/10.0.0.1/tcp/1          zone=z1  in 45s   15s ago  60m ago     192.0.2.7",
      "                                                                                  /ip4/10.0.0.1/udp/1/quic-v1",
      "seed  active    yes    unknown               -                            pin     /dns4/seed.example/tcp/4001  -        -        -        -           -",
      "gone  blocked   -      -                     -                            -       /ip4/10.0.0.3/tcp/1          -        -        60s ago  10m ago     192.0.2.8",
      "",
      "a: draining (kernel upgrade): keeps its lease and gets peers, handed out to no one.",
      "gone: blocked (compromised host): no lease, handed out to no one; its requests get 403.",
    ]);
  });

  it("confirms an override with what was set", () => {
    const text = overrideView("prod", {
      node: "seed",
      action: "pin",
      addrs: ["/ip4/10.0.0.9/tcp/1"],
      labels: { role: "seed" },
      reason: "static seed",
      createdAt: at(0),
      expiresAt: null,
    });
    expect(text.split("\n")).toEqual([
      "Pinned seed in cluster prod.",
      "node     seed",
      "action   pin",
      "addrs    /ip4/10.0.0.9/tcp/1",
      "labels   role=seed",
      "reason   static seed",
      `created  ${at(0)}`,
      "expires  never",
    ]);
    expect(overrideView("prod", { node: "b", action: "block", reason: "bad", createdAt: at(0), expiresAt: at(60) })).toMatch(
      /^Blocked b in cluster prod\.\n[\s\S]*expires {2}2026-01-01T12:01:00\.000Z$/,
    );
  });

  it("shows audit entries with a compact actor", () => {
    const entries: AuditEntry[] = [
      { seq: 7, at: at(0), actor: { kind: "admin", id: "admin" }, action: "override.set", node: "b", reason: "compromised", before: null, after: {} },
      { seq: 6, at: at(-1), actor: { kind: "join-token", id: "tok1" }, action: "node.join", node: "b", reason: null, before: null, after: {} },
      { seq: 5, at: at(-2), actor: { kind: "system", id: "alarm" }, action: "override.expire", node: null, reason: null, before: {}, after: null },
    ];
    const lines = auditView(entries).split("\n");
    expect(lines[0]).toBe("SEQ  AT                        ACTOR            ACTION           NODE  REASON");
    expect(lines[1]).toMatch(/^7 +\S+ +admin +override\.set +b +compromised$/);
    expect(lines[2]).toMatch(/^6 +\S+ +join-token:tok1 +node\.join +b +-$/);
    expect(lines[3]).toMatch(/^5 +\S+ +system:alarm +override\.expire +- +-$/);
  });
});
