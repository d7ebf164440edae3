/**
 * Operator overrides: which actions exist, what each one does to a node, and how it is named.
 *
 * The one place that spells the actions out. Everything else (the request schema, the object's
 * handout pool and nodes view, metrics, the CLI's commands, the console's buttons) reads these
 * facts, so a new action is a new entry here, and the compiler points at each table keyed by
 * action that must learn it. Plain data with no dependencies: the console imports it at run time.
 */

/** How the nodes view shows a node. */
export const NODE_VIEW_STATES = ["active", "draining", "blocked"] as const;
export type NodeViewState = (typeof NODE_VIEW_STATES)[number];

export interface OverrideFacts {
  /** The imperative, as the CLI command's summary and the console's button say it: "Pin". */
  verb: string;
  /** A node under it, as badges and confirmations say it: "pinned". */
  done: string;
  /** What it does to the node, completing "<verb> <node>: …". */
  effect: string;
  /** The state the nodes view shows for a leased node under it. */
  state: NodeViewState;
  /** It carries its own peer (addresses and labels), handed out under the node's id instead of any lease. */
  carriesPeer: boolean;
  /** It refuses the node: a live lease ends at once, and its requests are refused with the reason. */
  refuses: boolean;
  /** A typical reason, for the CLI's examples. */
  typicalReason: string;
}

export const OVERRIDES = {
  pin: {
    verb: "Pin",
    done: "pinned",
    effect: "it is handed out as a static peer, like a live node but with no lease; if it also holds a lease, the pinned addresses and labels are what others receive.",
    state: "active",
    carriesPeer: true,
    refuses: false,
    typicalReason: "static seed",
  },
  block: {
    verb: "Block",
    done: "blocked",
    effect: "it is never handed out; its register, renew and peers requests are refused (403) with the reason, and a live lease ends at once.",
    state: "blocked",
    carriesPeer: false,
    refuses: true,
    typicalReason: "compromised host",
  },
  drain: {
    verb: "Drain",
    done: "drained",
    effect: "it keeps its lease and still receives peers, but is not handed out to others.",
    state: "draining",
    carriesPeer: false,
    refuses: false,
    typicalReason: "kernel upgrade",
  },
} as const satisfies Record<string, OverrideFacts>;

export type OverrideAction = keyof typeof OVERRIDES;

/** The actions that carry a peer of their own (their requests name addresses and labels). */
export type PeerAction = { [A in OverrideAction]: (typeof OVERRIDES)[A]["carriesPeer"] extends true ? A : never }[OverrideAction];
/** The actions that only mark a node (their requests carry a reason and an expiry only). */
export type MarkAction = Exclude<OverrideAction, PeerAction>;

export const OVERRIDE_ACTIONS = Object.keys(OVERRIDES) as OverrideAction[];

export function carriesPeer(action: OverrideAction): action is PeerAction {
  return OVERRIDES[action].carriesPeer;
}

export const PEER_ACTIONS = OVERRIDE_ACTIONS.filter(carriesPeer) as [PeerAction, ...PeerAction[]];
export const MARK_ACTIONS = OVERRIDE_ACTIONS.filter((action) => !carriesPeer(action)) as [MarkAction, ...MarkAction[]];

/** The state the nodes view shows for a leased node under `action` (or under none). */
export const nodeState = (action: OverrideAction | undefined): NodeViewState => (action ? OVERRIDES[action].state : "active");

/** A count per action, all zero: every action appears, so a metric lists each even at zero. */
export const perAction = (): Record<OverrideAction, number> => Object.fromEntries(OVERRIDE_ACTIONS.map((action) => [action, 0])) as Record<OverrideAction, number>;

/** The actions as prose: "pin, block or drain". */
export function actionsInWords(conjunction: "and" | "or"): string {
  const names: string[] = OVERRIDE_ACTIONS;
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} ${conjunction} ${names.at(-1)}`;
}
