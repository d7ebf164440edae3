/**
 * Handout bodies as sent: the full handout, a delta since a version, or a watcher's message,
 * built from the current pool and cached per requester and limit until the version moves
 * (bounded at BODY_CACHE_CHARS of text), so an unchanged handout costs no serialisation.
 */
import { orderByTier } from "../contract/reachability.js";
import type { ChangeLog } from "./changes.js";
import { type ChangeRecord, changedSince, deltaSince, type PeerDelta, unlimitedDelta } from "./changelog.js";
import { handoutBody, type HandoutEntry, handoutPool, selectPeers } from "./handout.js";
import type { LeaseTable } from "./lease-table.js";
import type { Overrides } from "./overrides.js";
import type { ClusterMeta } from "./records.js";

const BODY_CACHE_CHARS = 8 * 1024 * 1024;

/** Pins (and any entry without a tier) are "ready, unknown". */
const tierOf = (entry: HandoutEntry): number => entry.tier ?? 1;

/** A watcher's update: the message, and whether it is a delta that changes nothing. */
export interface WatchUpdate {
  type: "delta" | "snapshot";
  message: string;
  empty: boolean;
}

/** How a delta with no upserts and no removes ends (see `delta`). */
const EMPTY_DELTA_END = '"upserts":[],"removes":[]}';

/** How a delta answer that had to fall back to the full handout begins. */
export const SNAPSHOT_PREFIX = '{"snapshot":true,';

export interface HandoutSources {
  meta(): ClusterMeta;
  leases: LeaseTable;
  overrides: Overrides;
  changes: ChangeLog;
  degraded(): boolean;
}

export class Handouts {
  #pool: HandoutEntry[] | null = null;
  readonly #bodies = new Map<string, string>();
  #bodyChars = 0;
  /** The ids changed since each version asked about (changelog.ts `changedSince`), until the version moves. */
  readonly #changed = new Map<number, Map<string, ChangeRecord> | null>();
  /** The last watch message built, and the body it wraps (see watchMessage). */
  #lastWatch: (WatchUpdate & { body: string }) | null = null;
  /** The last shared full-list delta (see delta). */
  #lastShared: { since: number; zone: string | null; body: string } | null = null;

  constructor(private readonly from: HandoutSources) {}

  /** The version moved: the pool and every body are stale. */
  invalidate(): void {
    this.#pool = null;
    this.#changed.clear();
    this.forgetBodies();
  }

  /** The bodies are stale although the pool is not (a forgotten node's zone ordered some of them). */
  forgetBodies(): void {
    this.#bodies.clear();
    this.#bodyChars = 0;
    this.#lastWatch = null;
    this.#lastShared = null;
  }

  /** What `requester` receives: `{"version","peers"}`. */
  full(requester: string, requested: number | undefined): string {
    const meta = this.from.meta();
    const limit = requested ?? meta.settings.defaultLimit;
    return this.#cached(`${requester}\n${limit}`, () =>
      handoutBody(meta.version, orderByTier(selectPeers(this.#currentPool(), requester, this.from.leases.get(requester)?.zone ?? null, limit), tierOf), this.from.degraded()),
    );
  }

  /** `{"version","upserts","removes"}` since `since`, or the full handout flagged `"snapshot": true`. */
  delta(requester: string, requested: number | undefined, since: number): string {
    const meta = this.from.meta();
    const limit = requested ?? meta.settings.defaultLimit;
    const { changes, leases } = this.from;
    const known = since >= changes.floor && since <= meta.version;
    if (limit === null && known) {
      // Full lists: one body for every requester of a zone that is not itself among the changed
      // ids, so a change pushed to many watchers is built once, not once per watcher.
      const changed = this.#changedSince(since);
      if (changed !== null && !changed.has(requester)) {
        const zone = leases.get(requester)?.zone ?? null;
        // A pass over the watchers asks for the same one again and again: no key to build then.
        const last = this.#lastShared;
        if (last !== null && last.since === since && last.zone === zone) return last.body;
        const body = this.#cached(`\n${zone === null ? "-" : `=${zone}`}\n${since}`, () => this.#deltaBody(unlimitedDelta(changed, this.#currentPool(), requester, zone)));
        this.#lastShared = { since, zone, body };
        return body;
      }
    }
    return this.#cached(`${requester}\n${limit}\n${since}`, () => {
      const delta = known ? deltaSince(changes.log, since, this.#currentPool(), requester, leases.get(requester)?.zone ?? null, limit) : null;
      return delta ? this.#deltaBody(delta) : SNAPSHOT_PREFIX + this.full(requester, requested).slice(1);
    });
  }

  #deltaBody(delta: PeerDelta): string {
    const degraded = this.from.degraded() ? `"degraded":true,` : "";
    return `{"version":${this.from.meta().version},${degraded}"upserts":[${delta.upserts.map((e) => e.json).join(",")}],"removes":${JSON.stringify(delta.removes)}}`;
  }

  #changedSince(since: number): Map<string, ChangeRecord> | null {
    let changed = this.#changed.get(since);
    if (changed === undefined) {
      changed = changedSince(this.from.changes.log, since);
      this.#changed.set(since, changed);
    }
    return changed;
  }

  /**
   * A watcher's message: what changed since `since`, or a snapshot when that cannot be told.
   * `empty`: a delta with no upserts and no removes (the version moved for something this
   * requester does not see, such as its own lease or a peer outside its limit).
   */
  watchMessage(requester: string, limit: number | undefined, since: number | null): WatchUpdate {
    const body = since === null ? this.full(requester, limit) : this.delta(requester, limit, since);
    // Watchers sharing a body (see delta) share its message too: the same string for every socket.
    // The body alone tells the message (a full handout, a flagged snapshot and a delta differ).
    if (this.#lastWatch?.body === body) return this.#lastWatch;
    const snapshot = since === null || body.startsWith(SNAPSHOT_PREFIX);
    const fields = snapshot && since !== null ? body.slice(SNAPSHOT_PREFIX.length) : body.slice(1);
    const type = snapshot ? "snapshot" : "delta";
    this.#lastWatch = { body, type, message: `{"type":"${type}",${fields}`, empty: !snapshot && body.endsWith(EMPTY_DELTA_END) };
    return this.#lastWatch;
  }

  /** Every peer any node may receive, sorted by id (cached until the version moves). */
  pool(): readonly HandoutEntry[] {
    return this.#currentPool();
  }

  #currentPool(): HandoutEntry[] {
    this.#pool ??= handoutPool(this.from.leases.live(), this.from.overrides.byNode);
    return this.#pool;
  }

  #cached(key: string, build: () => string): string {
    const cached = this.#bodies.get(key);
    if (cached !== undefined) return cached;
    const body = build();
    while (this.#bodyChars + body.length > BODY_CACHE_CHARS && this.#bodies.size > 0) {
      const [oldestKey, oldest] = this.#bodies.entries().next().value as [string, string];
      this.#bodies.delete(oldestKey);
      this.#bodyChars -= oldest.length;
    }
    if (body.length <= BODY_CACHE_CHARS) {
      this.#bodies.set(key, body);
      this.#bodyChars += body.length;
    }
    return body;
  }
}
