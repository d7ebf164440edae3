/**
 * Operator overrides, one per node id at most: pin (hand out fixed addresses), block (refuse the
 * node and end its lease), drain (keep its lease but stop handing it out). Each may expire.
 */
import { carriesPeer, OVERRIDES } from "../contract/overrides.js";
import type { Change } from "./change-recorder.js";
import { type HandoutEntry, zoneOf } from "./selection.js";
import { type OverrideRecord, peerJson } from "./records.js";
import type { DirectoryStore } from "./store.js";

export interface OverrideState extends OverrideRecord {
  /** For an action that carries a peer: that peer as a handout entry. */
  entry?: HandoutEntry;
}

function toOverrideState(record: OverrideRecord): OverrideState {
  if (!carriesPeer(record.action)) return { ...record };
  const pinned = { id: record.node, addrs: record.addrs ?? [], labels: record.labels ?? {} };
  return { ...record, entry: { id: record.node, json: peerJson(pinned), zone: zoneOf(pinned.labels) } };
}

export class Overrides {
  readonly #byNode = new Map<string, OverrideState>();

  constructor(
    private readonly store: Pick<DirectoryStore, "saveOverride" | "deleteOverride">,
    records: readonly OverrideRecord[],
  ) {
    for (const record of records) this.#byNode.set(record.node, toOverrideState(record));
  }

  get(node: string): OverrideState | undefined {
    return this.#byNode.get(node);
  }

  /** Every override by node id, as the handout pool reads them. */
  get byNode(): ReadonlyMap<string, OverrideState> {
    return this.#byNode;
  }

  values(): IterableIterator<OverrideState> {
    return this.#byNode.values();
  }

  /** The reason `node` is refused (blocked), or null when it is not. */
  blockReason(node: string): string | null {
    const override = this.#byNode.get(node);
    return override && OVERRIDES[override.action].refuses ? override.reason : null;
  }

  set(change: Change, record: OverrideRecord): void {
    change.touch(record.node);
    this.#byNode.set(record.node, toOverrideState(record));
    this.store.saveOverride(record);
  }

  remove(change: Change, node: string): void {
    change.touch(node);
    this.#byNode.delete(node);
    this.store.deleteOverride(node);
  }

  /** The records (without their handout entries), by node id. */
  records(): OverrideRecord[] {
    return [...this.#byNode.values()].map(({ entry: _entry, ...record }) => record).sort((a, b) => (a.node < b.node ? -1 : 1));
  }
}
