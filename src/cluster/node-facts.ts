/**
 * Node facts: small things the directory learns about a node from reports rather than from its
 * lease (it says it is not ready, a reporter failed to reach it, ...), kept so that they outlast
 * hibernation and restarts, and written only when one changes.
 *
 * A fact is a (node, name) pair with a string value and the time it took that value. `set`
 * writes one row when the value differs from the stored one and nothing otherwise: a repeated
 * report, however often it comes, costs memory only. A fact that holds its default value is not
 * stored at all (`delete`), so a healthy, quiet cluster has no rows here. The facts of a node
 * go with its lease (`forget`, one statement).
 *
 * Names are namespaced by their owner: `ready`, `reach:<reporter>` (reachability-ops.ts), and
 * whatever a later concern adds the same way.
 */
import type { DirectoryStore } from "./store.js";

/** One stored fact: its value, and when it took that value (ms, directory clock). */
export interface NodeFactRecord {
  node: string;
  name: string;
  value: string;
  at: number;
}

type FactStore = Pick<DirectoryStore, "saveNodeFact" | "deleteNodeFact" | "deleteNodeFacts">;

export class NodeFacts {
  readonly #byNode = new Map<string, Map<string, { value: string; at: number }>>();
  /** Rows written since this object loaded (set, delete and forget), for the cost figures. */
  rowsWritten = 0;

  constructor(
    private readonly store: FactStore,
    records: readonly NodeFactRecord[],
  ) {
    for (const r of records) this.#of(r.node, true)!.set(r.name, { value: r.value, at: r.at });
  }

  #of(node: string, create = false): Map<string, { value: string; at: number }> | undefined {
    let facts = this.#byNode.get(node);
    if (!facts && create) {
      facts = new Map();
      this.#byNode.set(node, facts);
    }
    return facts;
  }

  get(node: string, name: string): { value: string; at: number } | undefined {
    return this.#byNode.get(node)?.get(name);
  }

  /** Every stored fact of `node`, by name. */
  of(node: string): ReadonlyMap<string, { value: string; at: number }> {
    return this.#byNode.get(node) ?? new Map();
  }

  /** The nodes with any fact stored. */
  nodes(): IterableIterator<string> {
    return this.#byNode.keys();
  }

  /** Stores `value` for the fact; true (one row written) only when it differs from the stored one. */
  set(node: string, name: string, value: string, at: number): boolean {
    const facts = this.#of(node, true)!;
    if (facts.get(name)?.value === value) return false;
    facts.set(name, { value, at });
    this.store.saveNodeFact({ node, name, value, at });
    this.rowsWritten++;
    return true;
  }

  /** Drops the fact (it holds its default again); true (one row written) when it was stored. */
  delete(node: string, name: string): boolean {
    const facts = this.#byNode.get(node);
    if (!facts?.delete(name)) return false;
    if (facts.size === 0) this.#byNode.delete(node);
    this.store.deleteNodeFact(node, name);
    this.rowsWritten++;
    return true;
  }

  /** Drops every fact of `node` (its lease ended); nothing is written when it had none. */
  forget(node: string): void {
    const facts = this.#byNode.get(node);
    if (!facts) return;
    this.#byNode.delete(node);
    this.store.deleteNodeFacts(node);
    this.rowsWritten += facts.size;
  }

  /** How many facts are stored (rows in the table). */
  get size(): number {
    let n = 0;
    for (const facts of this.#byNode.values()) n += facts.size;
    return n;
  }
}
