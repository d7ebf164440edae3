import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/agent/log.js";
import { PeerChangeLog } from "../../src/agent/peer-change-log.js";

function setup() {
  const lines: string[] = [];
  let now = 1_000_000;
  const log = createLogger({ format: "json", level: "info", write: (line) => lines.push(line), now: () => new Date(now) });
  let peers = 0;
  const changes = new PeerChangeLog(
    log,
    () => ({ peers, version: 7 }),
    10_000,
    () => now,
  );
  return {
    lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    changes,
    advance: (ms: number) => (now += ms),
    setPeers: (n: number) => (peers = n),
  };
}

describe("the peers-changed log line", () => {
  it("logs the first change at once, then at most one line per window with the changes added up", () => {
    const t = setup();
    t.setPeers(1);
    t.changes.changed({ added: ["a"], removed: [], updated: [] });
    expect(t.lines()).toHaveLength(1);
    expect(t.lines()[0]).toMatchObject({ msg: "peers changed", peers: 1, added: 1, changes: "+a" });
    // A burst of re-registrations: one delta each, all within the window.
    for (let i = 0; i < 50; i++) {
      t.advance(100);
      t.changes.changed({ added: [`n${i}`], removed: [], updated: i % 10 === 0 ? ["a"] : [] });
    }
    expect(t.lines()).toHaveLength(1);
    t.setPeers(51);
    t.changes.flush();
    const [, summary] = t.lines();
    expect(summary).toMatchObject({ msg: "peers changed", peers: 51, added: 50, removed: 0, updated: 5, deltas: 50, version: 7 });
    expect(String(summary!.changes).split(" ")).toHaveLength(21); // 20 ids and "..."
    // Nothing pending: flushing again writes nothing; a change after a quiet window is logged at once.
    t.changes.flush();
    t.advance(10_000);
    t.changes.changed({ added: [], removed: ["n3"], updated: [] });
    expect(t.lines()).toHaveLength(3);
    expect(t.lines()[2]).toMatchObject({ removed: 1, changes: "-n3" });
    expect(t.lines()[2]!.deltas).toBeUndefined();
  });

  it("writes what a window gathered when it ends, by its own timer", async () => {
    const lines: string[] = [];
    const log = createLogger({ format: "json", level: "info", write: (line) => lines.push(line) });
    const changes = new PeerChangeLog(log, () => ({ peers: 2, version: 1 }), 50);
    changes.changed({ added: ["a"], removed: [], updated: [] });
    changes.changed({ added: ["b"], removed: [], updated: [] });
    expect(lines).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 120));
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1]!)).toMatchObject({ added: 1, changes: "+b" });
  });
});
