/**
 * Handout bodies as sent: the full handout, a delta since a version, or a watcher's message,
 * built from the current pool and cached per requester and limit until the version moves
 * (bounded at BODY_CACHE_CHARS of text), so an unchanged handout costs no serialisation.
 */
import { orderByTier } from "../contract/reachability.js";
import type { ChangeRecorder } from "./change-recorder.js";
import { type ChangeRecord, changedSince, deltaSince, type PeerDelta, unlimitedDelta } from "./changelog.js";
import { FanOut, type FanOutSource, type Watch } from "./fanout.js";
import { type Candidate, handoutBody, type HandoutEntry, handoutPool, selectPeers } from "./selection.js";
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
  changes: ChangeRecorder;
  degraded(): boolean;
}

/** Where a pass over the watchers goes (the object's sockets). */
export interface PassSink {
  /** `node` changed: its sockets' standing is checked before anything is sent. */
  standing(node: string): void;
  send(watch: Watch, message: string): void;
}

export class Handouts implements FanOutSource {
  #pool: HandoutEntry[] | null = null;
  /** The watchers and the index that finds those a change reaches. */
  readonly fanOut = new FanOut();
  /** Whether the last pass left watchers told `"degraded": true`. */
  #sentDegraded: boolean;
  readonly #bodies = new Map<string, string>();
  #bodyChars = 0;
  /** The ids changed since each version asked about (changelog.ts `changedSince`), until the version moves. */
  readonly #changed = new Map<number, Map<string, ChangeRecord> | null>();
  /** The last watch message built, and the body it wraps (see watchMessage). */
  #lastWatch: (WatchUpdate & { body: string }) | null = null;
  /** The last shared full-list delta (see delta). */
  #lastShared: { since: number; zone: string | null; body: string } | null = null;

  constructor(private readonly from: HandoutSources) {
    this.#sentDegraded = from.degraded();
  }

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
        const body = this.#cached(`\n${zone === null ? "-" : `=${zone}`}\n${since}`, () => this.#deltaBody(unlimitedDelta(changed, (id) => this.entry(id), requester, zone)));
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

  /**
   * Brings every watch from `since` to the current version (see fanout.ts): full-list watchers
   * share one message per zone, bounded watchers get a delta only when their handout changed,
   * and every watcher hears of a flip of the degraded flag. A change that touched every handout
   * (or history that no longer reaches `since`) sends everyone a snapshot.
   */
  pass(since: number, sink: PassSink): void {
    const meta = this.from.meta();
    const version = meta.version;
    if (since === version) return;
    const degraded = this.from.degraded();
    const degradedMoved = degraded !== this.#sentDegraded;
    this.#sentDegraded = degraded;
    const known = since >= this.from.changes.floor && since < version;
    const changed = known ? this.#changedSince(since) : null;
    const watches = [...this.fanOut.watches];
    if (changed === null) {
      for (const node of new Set(watches.map((w) => w.node))) sink.standing(node);
      this.fanOut.reset(version, meta.settings.defaultLimit);
      for (const watch of this.fanOut.watches) sink.send(watch, this.watchMessage(watch.node, watch.requested, since).message);
      return;
    }
    for (const id of changed.keys()) sink.standing(id);
    const shared = new Map<string | null, WatchUpdate>();
    for (const watch of this.fanOut.watches) {
      if (watch.limit !== null) continue;
      let update: WatchUpdate | undefined;
      if (changed.has(watch.node)) update = this.watchMessage(watch.node, watch.requested, since);
      else {
        const zone = this.zoneOf(watch.node);
        update = shared.get(zone);
        if (update === undefined) shared.set(zone, (update = this.watchMessage(watch.node, watch.requested, since)));
      }
      if (!update.empty || degradedMoved) sink.send(watch, update.message);
    }
    const { deltas, unindexed } = this.fanOut.passBounded(since, version, changed, this);
    for (const [watch, delta] of deltas) sink.send(watch, `{"type":"delta",${this.#deltaBody(delta).slice(1)}`);
    // A watcher found open after a wake whose own node changed since: its handout then cannot be
    // told for sure (its zone then is not in the change log), so it gets the whole handout.
    for (const watch of unindexed) sink.send(watch, this.watchMessage(watch.node, watch.requested, null).message);
    if (!degradedMoved) return;
    const done = new Set(unindexed);
    const empty = `{"type":"delta",${this.#deltaBody({ upserts: [], removes: [] }).slice(1)}`;
    for (const watch of this.fanOut.watches) if (watch.limit !== null && !deltas.has(watch) && !done.has(watch)) sink.send(watch, empty);
  }

  /** What `id` is handed out as now (fanout.ts FanOutSource), or undefined when it is not in the pool. */
  entry(id: string): HandoutEntry | undefined {
    const override = this.from.overrides.get(id);
    if (override) return override.action === "pin" ? override.entry : undefined;
    const lease = this.from.leases.get(id);
    return lease?.endedAt === null ? lease : undefined;
  }

  /** Every entry of the pool, unsorted. */
  *candidates(): Generator<Candidate> {
    const overrides = this.from.overrides;
    for (const lease of this.from.leases.live()) if (!overrides.get(lease.id)) yield lease;
    for (const override of overrides.values()) if (override.action === "pin" && override.entry) yield override.entry;
  }

  zoneOf(node: string): string | null {
    return this.from.leases.get(node)?.zone ?? null;
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
