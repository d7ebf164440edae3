// The override actions are stated once (src/contract/overrides.ts); the request schema, the CLI's
// commands and the nodes view derive from that table, so every action reaches each of them.
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/spec.js";
import { OverrideRequest } from "../../src/contract/admin.js";
import { actionsInWords, carriesPeer, MARK_ACTIONS, nodeState, OVERRIDE_ACTIONS, OVERRIDES, PEER_ACTIONS, perAction } from "../../src/contract/overrides.js";

const peerAddr = "/ip4/127.0.0.1/tcp/5001";

describe("override actions", () => {
  it("each is a peer action or a mark action, never both", () => {
    expect([...PEER_ACTIONS, ...MARK_ACTIONS].sort()).toEqual([...OVERRIDE_ACTIONS].sort());
    for (const action of OVERRIDE_ACTIONS) expect(PEER_ACTIONS.includes(action as never)).toBe(carriesPeer(action));
  });

  it("the request schema takes each action with exactly its fields", () => {
    for (const action of OVERRIDE_ACTIONS) {
      const withPeer = OverrideRequest.safeParse({ action, reason: "r", addrs: [peerAddr] });
      const bare = OverrideRequest.safeParse({ action, reason: "r" });
      expect(withPeer.success, action).toBe(carriesPeer(action));
      expect(bare.success, action).toBe(!carriesPeer(action));
    }
    expect(OverrideRequest.safeParse({ action: "quarantine", reason: "r" }).success).toBe(false);
  });

  it("the CLI has one command per action, asking for addresses exactly when the action carries a peer", () => {
    for (const action of OVERRIDE_ACTIONS) {
      const command = COMMANDS.find((c) => c.id === action);
      expect(command, action).toBeDefined();
      expect(command!.summary).toBe(`${OVERRIDES[action].verb} a node: ${OVERRIDES[action].effect}`);
      expect(command!.options.some((o) => o.flag === "addr")).toBe(carriesPeer(action));
      expect(command!.examples[0]).toMatch(new RegExp(`^peerdir ${action} `));
    }
  });

  it("the nodes view's state and the metrics' counts cover every action", () => {
    expect(nodeState(undefined)).toBe("active");
    for (const action of OVERRIDE_ACTIONS) expect(["active", "draining", "blocked"]).toContain(nodeState(action));
    expect(Object.keys(perAction()).sort()).toEqual([...OVERRIDE_ACTIONS].sort());
    expect(actionsInWords("or")).toBe("pin, block or drain");
  });
});
