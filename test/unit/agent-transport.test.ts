import { describe, expect, it } from "vitest";
import type { Peer } from "../../src/contract/schemas.js";
import { PeerView } from "../../src/agent/peer-view.js";
import {
  applyDelta,
  bestTransport,
  describeChange,
  EARLY_304S_BEFORE_FALLBACK,
  fallbackOf,
  parseHandout,
  parseWatchMessage,
  RETRY_BETTER_MS,
  SHORT_WATCH_MS,
  sortHandout,
  TransportPolicy,
  watchUrl,
} from "../../src/agent/feed/transport.js";

const peer = (id: string, zone?: string, addr = 1): Peer => ({ id, addrs: [`/ip4/10.0.0.${addr}/tcp/5001`], labels: zone ? { zone } : {} });
const ids = (peers: Peer[]) => peers.map((p) => p.id);

describe("choosing a transport", () => {
  it("starts auto on the watch (on every Node.js: the agent brings its own client); a pinned transport as given", () => {
    expect(bestTransport("auto")).toBe("watch");
    expect(bestTransport("poll")).toBe("poll");
    expect(bestTransport("long-poll")).toBe("long-poll");
    expect(bestTransport("watch")).toBe("watch");
  });

  it("steps down one transport at a time", () => {
    expect(fallbackOf("watch")).toBe("long-poll");
    expect(fallbackOf("long-poll")).toBe("poll");
    expect(fallbackOf("poll")).toBeNull();
    expect(describeChange({ from: "watch", to: "long-poll", reason: "why" })).toBe("transport: watch → long-poll (why)");
  });
});

/** An auto policy stepped down to long-poll (two failed upgrades while HTTP works). */
function onLongPoll(): TransportPolicy {
  const p = new TransportPolicy("auto");
  p.watchUpgradeFailed(0, true);
  p.watchUpgradeFailed(0, true);
  expect(p.current).toBe("long-poll");
  return p;
}

describe("TransportPolicy (auto)", () => {
  it("falls back from the watch after two failed upgrades while plain HTTP works, not during an outage", () => {
    const p = new TransportPolicy("auto");
    expect(p.current).toBe("watch");
    // The directory is down or refuses us: that says nothing about WebSockets.
    for (let i = 0; i < 5; i++) expect(p.watchUpgradeFailed(i, false)).toBeNull();
    expect(p.watchUpgradeFailed(10, true)).toBeNull();
    const change = p.watchUpgradeFailed(11, true);
    expect(change).toEqual({ from: "watch", to: "long-poll", reason: "the WebSocket upgrade failed 2 times while plain HTTP works" });
    expect(p.current).toBe("long-poll");
    expect(p.retryAt).toBe(11 + RETRY_BETTER_MS);
  });

  it("forgets a failed upgrade once a watch delivers", () => {
    const p = new TransportPolicy("auto");
    expect(p.watchUpgradeFailed(0, true)).toBeNull();
    p.watchDelivered();
    expect(p.watchUpgradeFailed(1, true)).toBeNull();
    expect(p.current).toBe("watch");
  });

  it("tries the better transport again after RETRY_BETTER_MS, and falls back again if it still fails", () => {
    const p = new TransportPolicy("auto", 1_000);
    p.watchUpgradeFailed(0, true);
    p.watchUpgradeFailed(0, true);
    expect(p.current).toBe("long-poll");
    expect(p.due(999)).toBeNull();
    expect(p.due(1_000)).toMatchObject({ from: "long-poll", to: "watch" });
    expect(p.current).toBe("watch");
    expect(p.retryAt).toBeNull();
    expect(p.due(5_000)).toBeNull(); // on the best one: nothing to retry
    p.watchUpgradeFailed(6_000, true);
    expect(p.watchUpgradeFailed(6_001, true)).toMatchObject({ to: "long-poll" });
    expect(p.retryAt).toBe(7_001);
  });

  it("falls back from long-poll to poll after three early 304s in a row; a held 304 or a 200 resets the count", () => {
    const p = onLongPoll();
    const wait = 30_000;
    expect(p.longPollAnswered(0, 304, 50, wait)).toBeNull();
    expect(p.longPollAnswered(0, 304, 50, wait)).toBeNull();
    expect(p.longPollAnswered(0, 200, 50, wait)).toBeNull(); // a change came: the poll was held until it did
    expect(p.longPollAnswered(0, 304, 50, wait)).toBeNull();
    expect(p.longPollAnswered(0, 304, 50, wait)).toBeNull();
    expect(p.longPollAnswered(0, 304, 30_000, wait)).toBeNull(); // held the whole wait: fine
    for (let i = 1; i < EARLY_304S_BEFORE_FALLBACK; i++) expect(p.longPollAnswered(0, 304, 10, wait)).toBeNull();
    expect(p.longPollAnswered(7, 304, 10, wait)).toEqual({ from: "long-poll", to: "poll", reason: "3 long-polls in a row came back unchanged at once instead of waiting" });
    expect(p.current).toBe("poll");
    // The best is the watch, and that is what it retries, straight from poll.
    expect(p.due(7 + RETRY_BETTER_MS)).toMatchObject({ from: "poll", to: "watch" });
  });

  it("ignores the first plain read of a run (no wait asked)", () => {
    const p = onLongPoll();
    for (let i = 0; i < 5; i++) expect(p.longPollAnswered(0, 304, 1, 0)).toBeNull();
    expect(p.current).toBe("long-poll");
  });

  it("falls back when watches keep being cut soon after opening, not after clean closes or long lives", () => {
    const p = new TransportPolicy("auto");
    expect(p.watchEnded(0, 1_000, true)).toBeNull();
    expect(p.watchEnded(0, 1_000, true)).toBeNull();
    expect(p.watchEnded(0, SHORT_WATCH_MS, true)).toBeNull(); // lived long enough: resets
    expect(p.watchEnded(0, 1_000, false)).toBeNull(); // a clean close (directory restart): resets
    expect(p.watchEnded(0, 1_000, true)).toBeNull();
    expect(p.watchEnded(0, 1_000, true)).toBeNull();
    expect(p.watchEnded(0, 1_000, true)).toMatchObject({ from: "watch", to: "long-poll" });
  });

  it("retries the watch straight from poll", () => {
    const p = new TransportPolicy("auto", 10);
    p.watchUpgradeFailed(0, true);
    p.watchUpgradeFailed(0, true);
    for (let i = 0; i < 3; i++) p.longPollAnswered(0, 304, 1, 30_000);
    expect(p.current).toBe("poll");
    expect(p.due(10)).toMatchObject({ from: "poll", to: "watch" });
  });
});

describe("TransportPolicy (pinned)", () => {
  it.each(["watch", "long-poll", "poll"] as const)("never leaves --transport %s", (mode) => {
    const p = new TransportPolicy(mode, 0);
    for (let i = 0; i < 10; i++) {
      expect(p.watchUpgradeFailed(i, true)).toBeNull();
      expect(p.longPollAnswered(i, 304, 1, 30_000)).toBeNull();
      expect(p.watchEnded(i, 1, true)).toBeNull();
      expect(p.due(i)).toBeNull();
    }
    expect(p.current).toBe(mode);
  });
});

describe("deltas", () => {
  it("adds, replaces and removes, in id order", () => {
    const now = applyDelta([peer("b"), peer("d")], [peer("c"), peer("b", undefined, 9), peer("a")], ["d", "not-there"], null);
    expect(ids(now)).toEqual(["a", "b", "c"]);
    expect(now.find((p) => p.id === "b")!.addrs).toEqual(["/ip4/10.0.0.9/tcp/5001"]);
  });

  it("orders like the directory: this node's zone first, each group by code unit", () => {
    const list = [peer("b", "z1"), peer("A", "z2"), peer("a", "z2"), peer("c")];
    expect(ids(sortHandout(list, null))).toEqual(["A", "a", "b", "c"]);
    expect(ids(sortHandout(list, "z2"))).toEqual(["A", "a", "b", "c"]);
    expect(ids(sortHandout(list, "z1"))).toEqual(["b", "A", "a", "c"]);
    expect(ids(sortHandout(list, "nowhere"))).toEqual(["A", "a", "b", "c"]);
    // A peer that moves zone moves group.
    expect(ids(applyDelta(sortHandout(list, "z1"), [peer("c", "z1")], [], "z1"))).toEqual(["b", "c", "A", "a"]);
  });

  it("always equals the full handout: 500 random changes applied as deltas", () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const zones = ["z1", "z2", undefined];
    const myZone = "z1";
    const truth = new Map<string, Peer>();
    let view: Peer[] = [];
    for (let step = 0; step < 500; step++) {
      // A batch of changes, as a delta since the last version would carry them.
      const upserts = new Map<string, Peer>();
      const removes = new Set<string>();
      for (let k = Math.floor(random() * 4); k >= 0; k--) {
        const id = `n${Math.floor(random() * 30)}`;
        if (random() < 0.35 && truth.has(id)) {
          truth.delete(id);
          upserts.delete(id);
          removes.add(id);
        } else {
          const p = peer(id, zones[Math.floor(random() * 3)], Math.floor(random() * 200));
          truth.set(id, p);
          removes.delete(id);
          upserts.set(id, p);
        }
      }
      view = applyDelta(view, [...upserts.values()], [...removes], myZone);
      expect(view).toEqual(sortHandout([...truth.values()], myZone));
    }
  });

  it("PeerView applies a snapshot, then deltas on top, reporting what changed", () => {
    const view = new PeerView("self", null);
    const at = new Date();
    expect(view.apply({ kind: "full", version: 3, peers: [peer("a"), peer("b")], degraded: false }, at)).toEqual({ added: ["a", "b"], removed: [], updated: [] });
    const diff = view.apply({ kind: "delta", version: 5, upserts: [peer("c"), peer("a", undefined, 7)], removes: ["b"], degraded: false }, at);
    expect(diff).toEqual({ added: ["c"], removed: ["b"], updated: ["a"] });
    expect(view.version).toBe(5);
    expect(ids(view.peers)).toEqual(["a", "c"]);
    // An empty delta moves the version and changes nothing.
    expect(view.apply({ kind: "delta", version: 6, upserts: [], removes: [], degraded: false }, at)).toBeNull();
    expect(view.version).toBe(6);
    // A snapshot replaces whatever was there.
    view.apply({ kind: "full", version: 9, peers: [peer("z")], degraded: false }, at);
    expect(ids(view.peers)).toEqual(["z"]);
  });
});

describe("parsing the directory's answers", () => {
  it("reads a handout, a snapshot-flagged handout and a delta, with degraded", () => {
    expect(parseHandout({ version: 4, peers: [peer("a")] })).toEqual({ kind: "full", version: 4, peers: [peer("a")], degraded: false });
    expect(parseHandout({ snapshot: true, version: 4, degraded: true, peers: [] })).toEqual({ kind: "full", version: 4, peers: [], degraded: true });
    expect(parseHandout({ version: 5, upserts: [peer("b")], removes: ["a"] })).toEqual({ kind: "delta", version: 5, upserts: [peer("b")], removes: ["a"], degraded: false });
  });

  it("rejects what is not a handout", () => {
    for (const bad of [
      null,
      "x",
      {},
      { version: "4", peers: [] },
      { version: 4 },
      { version: 4, peers: [{ id: 1, addrs: [] }] },
      { version: 4, upserts: [], removes: [3] },
      { version: 1.5, peers: [] },
    ]) {
      expect(parseHandout(bad)).toBeNull();
    }
  });

  it("reads watch messages: pong, snapshot, delta, and anything else as other", () => {
    expect(parseWatchMessage("pong")).toEqual({ kind: "pong" });
    expect(parseWatchMessage(JSON.stringify({ type: "snapshot", version: 2, peers: [peer("a")] }))).toEqual({
      kind: "update",
      type: "snapshot",
      update: { kind: "full", version: 2, peers: [peer("a")], degraded: false },
    });
    expect(parseWatchMessage(JSON.stringify({ type: "delta", version: 3, degraded: true, upserts: [], removes: ["a"] }))).toEqual({
      kind: "update",
      type: "delta",
      update: { kind: "delta", version: 3, upserts: [], removes: ["a"], degraded: true },
    });
    expect(parseWatchMessage(JSON.stringify({ type: "renewed", ttlSeconds: 60 }))).toMatchObject({ kind: "other", type: "renewed" });
    expect(parseWatchMessage("not json")).toBeNull();
    expect(parseWatchMessage(JSON.stringify({ type: "snapshot", version: 2, upserts: [], removes: [] }))).toBeNull();
    expect(parseWatchMessage(JSON.stringify({ type: "delta", version: 2, peers: [] }))).toBeNull();
  });

  it("builds the watch URL from the node URL", () => {
    expect(watchUrl("http://127.0.0.1:8787/v1/clusters/c/nodes/n", null)).toBe("ws://127.0.0.1:8787/v1/clusters/c/nodes/n/watch");
    expect(watchUrl("https://peerdir.example.com/v1/clusters/c/nodes/n%2Fx", 17)).toBe("wss://peerdir.example.com/v1/clusters/c/nodes/n%2Fx/watch?since=17");
    expect(watchUrl("http://127.0.0.1:8787/v1/clusters/c/nodes/n", 17, 8)).toBe("ws://127.0.0.1:8787/v1/clusters/c/nodes/n/watch?limit=8&since=17");
  });
});
