/**
 * The cluster's node rows in memory: each id's lease (live while `endedAt` is null) and the
 * credential it holds, with the live count the cluster's size limit needs. Every change to a
 * row goes through a `Change` (change-recorder.ts), so the change log hears of it before it happens.
 */
import { handoutTier, type ReachState } from "../contract/reachability.js";
import type { Change } from "./change-recorder.js";
import { type HandoutEntry, zoneOf } from "./selection.js";
import { type NodeFactRecord, NodeFacts } from "./node-facts.js";
import { type NodeRecord, peerJson } from "./records.js";
import type { ConsumerLoopRecord, DirectoryStore } from "./store.js";

export interface NodeState extends NodeRecord, HandoutEntry {
  /** This node as a handout entry, serialised once per change. */
  json: string;
  zone: string | null;
  /** addrs + labels, to tell a renewal that changes them from one that does not. */
  contentKey: string;
  /** The expiry storage holds: `expiresAt` runs ahead of it with every renewal that is not written. */
  storedExpiresAt: number;
  /** Storage knows the stored expiry may be behind (lease-holds.ts). */
  behind: boolean;
  /** What the node said in its latest registration or renewal (stored as a node fact while false, reach-facts.ts). */
  ready: boolean;
  /** The reachability state handouts show, as the reachability book last settled it. */
  reach: ReachState;
  /** Its place in handout order (see handoutTier). */
  tier: number;
  /** What its agent last said of its local consumers' loops (stored; consumer-loops.ts); absent: never looped. */
  consumers?: ConsumerLoopRecord;
}

export function contentKeyOf(addrs: string[], labels: Record<string, string>): string {
  return JSON.stringify([addrs, labels]);
}

function toState(record: NodeRecord, ready = true): NodeState {
  const state: NodeState = {
    ...record,
    json: "",
    zone: zoneOf(record.labels),
    contentKey: contentKeyOf(record.addrs, record.labels),
    storedExpiresAt: record.expiresAt,
    behind: record.behind ?? false,
    ready,
    reach: "unknown",
    tier: 0,
  };
  refreshEntry(state);
  return state;
}

/** Re-serialises a node's handout entry after its addrs, labels, readiness or reachability changed. */
function refreshEntry(state: NodeState): void {
  state.json = peerJson(state, state);
  state.tier = handoutTier({ ready: state.ready, reachability: state.reach });
}

export type LeaseFields = Pick<NodeRecord, "id" | "credentialHash" | "addrs" | "labels" | "ttlSeconds" | "expiresAt" | "observedIp">;

export class LeaseTable {
  readonly #nodes = new Map<string, NodeState>();
  #liveCount = 0;
  /**
   * What nodes said about themselves and each other, stored only as it changes (node-facts.ts):
   * readiness, reachability evidence. A lease's facts go with it, and a new one starts with none.
   */
  readonly facts: NodeFacts;

  constructor(
    private readonly store: Pick<
      DirectoryStore,
      "saveNode" | "saveRenewal" | "saveBehind" | "saveLeaseEnd" | "deleteNode" | "saveConsumerLoop" | "deleteConsumerLoop" | "saveNodeFact" | "deleteNodeFact" | "deleteNodeFacts"
    >,
    records: readonly NodeRecord[],
    facts: readonly NodeFactRecord[] = [],
    consumerLoops: readonly ConsumerLoopRecord[] = [],
  ) {
    this.facts = new NodeFacts(store, facts);
    for (const record of records) {
      this.#nodes.set(record.id, toState(record));
      if (record.endedAt === null) this.#liveCount++;
    }
    for (const loop of consumerLoops) {
      const state = this.#nodes.get(loop.node);
      if (state) state.consumers = loop;
    }
  }

  get liveCount(): number {
    return this.#liveCount;
  }

  /** Every row, live or ended. */
  get size(): number {
    return this.#nodes.size;
  }

  get(id: string): NodeState | undefined {
    return this.#nodes.get(id);
  }

  has(id: string): boolean {
    return this.#nodes.has(id);
  }

  /** Every row, live or ended (an ended row keeps its credential until its retention ends). */
  all(): IterableIterator<NodeState> {
    return this.#nodes.values();
  }

  *live(): Generator<NodeState> {
    for (const state of this.#nodes.values()) if (state.endedAt === null) yield state;
  }

  /** A new lease for `fields.id`, replacing whatever row the id had (what its consumers did stays until its agent says otherwise). */
  start(change: Change, fields: LeaseFields, now: number, ready = true): NodeState {
    const state = toState({ ...fields, registeredAt: now, lastRenewedAt: now, endedAt: null }, ready);
    const consumers = this.#nodes.get(fields.id)?.consumers;
    if (consumers) state.consumers = consumers;
    change.touch(fields.id);
    this.facts.forget(fields.id);
    this.#nodes.set(fields.id, state);
    this.#liveCount++;
    this.#saveNode(state);
    return state;
  }

  /** New addrs and labels for a live lease: the handout entry changes with them, and what was known of its reachability goes. */
  replaceContent(change: Change, state: NodeState, addrs: string[], labels: Record<string, string>, contentKey: string): void {
    change.touch(state.id);
    state.addrs = addrs;
    state.labels = labels;
    state.contentKey = contentKey;
    state.zone = zoneOf(labels);
    state.reach = "unknown";
    refreshEntry(state);
    this.#saveNode(state);
  }

  /** Writes the lease fields (TTL, expiry, last renewal, observed IP) as they are in memory. */
  saveRenewal(state: NodeState): void {
    this.store.saveRenewal(state);
    state.storedExpiresAt = state.expiresAt;
  }

  /** Records whether the lease's stored expiry may be behind its real one; a write only when that changes. */
  setBehind(state: NodeState, behind: boolean): void {
    if (state.behind === behind) return;
    state.behind = behind;
    this.store.saveBehind(state.id, behind);
  }

  // Writes keep the `behind` mark: a socket may still hold the lease past what is written.
  #saveNode(state: NodeState): void {
    this.store.saveNode(state);
    state.storedExpiresAt = state.expiresAt;
  }

  /** Readiness and reachability move the handout order, not the stored row (they are node facts). */
  setMarks(change: Change, state: NodeState, marks: { ready?: boolean; reach?: ReachState }): void {
    const ready = marks.ready ?? state.ready;
    const reach = marks.reach ?? state.reach;
    if (ready === state.ready && reach === state.reach) return;
    change.touch(state.id);
    state.ready = ready;
    state.reach = reach;
    refreshEntry(state);
  }

  /** Marks as storage had them, at load: the version does not move, since nothing changed. */
  restoreMarks(state: NodeState, marks: { ready: boolean; reach: ReachState }): void {
    state.ready = marks.ready;
    state.reach = marks.reach;
    refreshEntry(state);
  }

  /** Keeps and stores what the node's agent said of its consumers (only changes come here). */
  setConsumers(state: NodeState, record: ConsumerLoopRecord): void {
    state.consumers = record;
    this.store.saveConsumerLoop(record);
  }

  end(change: Change, state: NodeState, now: number): void {
    change.touch(state.id);
    state.endedAt = now;
    this.#liveCount--;
    this.store.saveLeaseEnd(state.id, now);
    this.facts.forget(state.id);
  }

  /** Drops the row entirely (its lease must have ended). */
  delete(id: string): void {
    const state = this.#nodes.get(id);
    this.#nodes.delete(id);
    this.store.deleteNode(id);
    if (state?.consumers) this.store.deleteConsumerLoop(id);
  }
}
