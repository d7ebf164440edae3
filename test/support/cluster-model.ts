/**
 * A small reference model of one cluster's directory, for model-based tests.
 *
 * The model is written from docs/api.md, not from the implementation's data structures: a map
 * of lease records, a map of overrides, a credential table and a version counter. The handout
 * is computed the slow, obvious way (filter, sort, full sort by rendezvous weight), so it checks
 * the core's cached bodies, pools and windowed top-k selection.
 *
 * Both drivers share it: test/unit/model.test.ts runs sequences against `ClusterCore` with a
 * fake clock; test/worker/model.test.ts replays sequences against the real Worker and Durable
 * Object in workerd (with the Date faked and the object evicted at random).
 *
 * Self-preservation is modelled, not avoided: with at least 10 live leases, when more than half
 * are due at the moment expiry runs, nothing expires, the cluster turns degraded, and expiry is
 * looked at again 10 s later (or earlier, when something else lowers the next wake-up time).
 * Because "when expiry runs" depends on the object's next wake-up time, the model keeps that
 * time as the core documents it: a lower bound on the next due time, exact after each scan, at
 * least 10 s ahead while degraded, and recomputed exactly when the object restarts.
 *
 * Socket-held leases (docs/architecture.md#leases): a node may hold watch sockets; a ping on one
 * records the time and runs nothing. When an expiry check finds a lease due, every live lease
 * whose node holds a socket first runs to its last signal (ping or opening) + TTL, so pings that
 * stop end the lease at the last ping + TTL. A socket that closes starts the TTL countdown from
 * its last signal, and that expiry is written. Plain renewals are not written, so a lease's
 * stored expiry falls behind; the lease is marked `behind` (once) when a plain renewal moves it
 * past its stored expiry or a socket of its node opens. A restart closes every socket (as a
 * deploy does) and gives every live lease marked behind a grace of its TTL from the restart,
 * written so (which clears the mark); every other lease runs to its stored expiry.
 */
import fc from "fast-check";
import { pairWeight } from "../../src/cluster/rendezvous.js";

export const NODE_IDS = ["n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n11", "n12"] as const;
export const MAX_NODES = 11;
export const SELF_PRESERVATION_MIN = 10;
export const DEGRADED_RECHECK_MS = 10_000;
export const LIMIT = 3;
export const JOIN = "join";
export const BOGUS = "bogus";
export const ADDRS = ["/ip4/10.0.0.1/tcp/4001", "/ip4/10.0.0.2/tcp/4001", "/ip6/fd00::3/udp/4001/quic-v1", "/dns4/node.example/tcp/4001"] as const;

export type Zone = "a" | "b" | null;
export type CredPick = { k: "own" } | { k: "any"; i: number } | { k: "join" } | { k: "bogus" };
export type Cmd =
  | { t: "join"; node: number; addr: number; zone: Zone; ttl: number }
  | { t: "reg"; node: number; cred: CredPick; addr: number; zone: Zone; ttl: number }
  | { t: "renew"; node: number; ttl: number }
  | { t: "leave"; node: number; cred: CredPick }
  | { t: "pin"; node: number; addr: number; zone: Zone; expiresIn: number | null }
  | { t: "block"; node: number; expiresIn: number | null }
  | { t: "drain"; node: number; expiresIn: number | null }
  | { t: "lift"; node: number }
  | { t: "evict"; node: number }
  | { t: "revoke"; node: number }
  | { t: "advance"; ms: number }
  | { t: "alarm" }
  | { t: "force" }
  | { t: "massJoin"; ttl: number }
  | { t: "restart" }
  | { t: "watch"; node: number }
  | { t: "ping"; node: number }
  | { t: "unwatch"; node: number };

export interface Peer {
  id: string;
  addrs: string[];
  labels: Record<string, string>;
}

interface LeaseRecord {
  id: string;
  cred: string;
  addrs: string[];
  labels: Record<string, string>;
  /** The lease length, ms. */
  ttl: number;
  expiresAt: number;
  /** The expiry storage holds (written with the lease, a TTL change or an address change). */
  stored: number;
  /** Storage knows the stored expiry may be behind. */
  behind: boolean;
  endedAt: number | null;
}

interface OverrideRecord {
  action: "pin" | "block" | "drain";
  addrs: string[];
  labels: Record<string, string>;
  expiresAt: number | null;
}

/** What the model says one command must answer. */
export interface Expected {
  status: number;
  /** The token (model credential id, JOIN or BOGUS) the command presents. */
  token?: string;
  /** For a join-token registration: the model id of the credential it creates (if it succeeds). */
  fresh?: string;
}

export const labelsOf = (zone: Zone): Record<string, string> => (zone ? { zone } : {});

/** Counters of what the sequences reached, to prove the interesting states are exercised. */
export interface Coverage {
  [event: string]: number;
}

export class ClusterModel {
  now: number;
  version: number;
  degraded = false;
  readonly nodes = new Map<string, LeaseRecord>();
  readonly overrides = new Map<string, OverrideRecord>();
  /** Live credentials: model credential id → node id. */
  readonly byCred = new Map<string, string>();
  /** Every credential ever issued, in order: the pool that `{k: "any"}` picks from. */
  readonly issued: string[] = [];
  #credCounter = 0;
  #wakeAt: number | null = null;
  /** Nodes holding a watch socket → the last sign of life on it. */
  readonly sockets = new Map<string, number>();

  constructor(
    now: number,
    version: number,
    readonly retentionMs: number,
    readonly coverage: Coverage = {},
  ) {
    this.now = now;
    this.version = version;
  }

  get liveCount(): number {
    let n = 0;
    for (const r of this.nodes.values()) if (r.endedAt === null) n++;
    return n;
  }

  isLive(id: string): boolean {
    return this.nodes.get(id)?.endedAt === null;
  }

  /** The current credential of a node id, if it has a record. */
  credOf(id: string): string | undefined {
    return this.nodes.get(id)?.cred;
  }

  #hit(event: string): void {
    this.coverage[event] = (this.coverage[event] ?? 0) + 1;
  }

  #bump(): void {
    this.version++;
  }

  #lower(at: number): void {
    if (this.#wakeAt === null || at < this.#wakeAt) this.#wakeAt = at;
  }

  #recompute(): number | null {
    let next: number | null = null;
    for (const r of this.nodes.values()) {
      const due = r.endedAt === null ? r.expiresAt : r.endedAt + this.retentionMs;
      if (next === null || due < next) next = due;
    }
    for (const o of this.overrides.values()) if (o.expiresAt !== null && (next === null || o.expiresAt < next)) next = o.expiresAt;
    return next;
  }

  #endLease(r: LeaseRecord): void {
    r.endedAt = this.now;
    this.#lower(this.now + this.retentionMs);
  }

  #forget(r: LeaseRecord): void {
    this.nodes.delete(r.id);
    this.byCred.delete(r.cred);
  }

  /** What every request that reads or writes a lease does first. */
  expireIfDue(): void {
    if (this.#wakeAt !== null && this.now >= this.#wakeAt) this.expireDue(false);
  }

  /** The alarm (force = false) or an operator's forced expiry. */
  expireDue(force: boolean): number {
    const due: LeaseRecord[] = [];
    // Lazy expiry: only when some lease is due are the sockets' signals read, for every lease.
    if ([...this.nodes.values()].some((r) => r.endedAt === null && r.expiresAt <= this.now)) {
      for (const [id, signal] of this.sockets) {
        const r = this.nodes.get(id);
        if (r && r.endedAt === null && signal + r.ttl > r.expiresAt) {
          r.expiresAt = signal + r.ttl;
          r.behind = true;
          this.#hit("socket holds a lease");
        }
      }
    }
    for (const r of [...this.nodes.values()]) {
      if (r.endedAt === null) {
        if (r.expiresAt <= this.now) due.push(r);
      } else if (r.endedAt + this.retentionMs <= this.now) {
        this.#forget(r);
        this.#hit("credential forgotten");
      }
    }
    const live = this.liveCount;
    if (!force && live >= SELF_PRESERVATION_MIN && due.length * 2 > live) {
      if (!this.degraded) {
        this.degraded = true;
        this.#bump();
        this.#hit("self-preservation engaged");
      } else this.#hit("self-preservation held");
      this.#wakeAt = Math.max(this.#recompute() ?? 0, this.now + DEGRADED_RECHECK_MS);
      return 0;
    }
    let ended = 0;
    for (const r of due) {
      this.#endLease(r);
      ended++;
      this.#hit("lease expired");
    }
    for (const [id, o] of [...this.overrides]) {
      if (o.expiresAt !== null && o.expiresAt <= this.now) {
        this.overrides.delete(id);
        ended++;
        this.#hit("override expired");
      }
    }
    if (ended > 0) this.#bump();
    if (this.degraded) {
      this.degraded = false;
      this.#bump();
      this.#hit("self-preservation recovered");
    }
    this.#wakeAt = this.#recompute();
    return ended;
  }

  /**
   * The object restarted and rebuilt itself from storage: its sockets are gone, every live lease
   * gets a grace of its TTL from now, and its next wake-up is exact again.
   */
  restart(): void {
    this.#hit("restart");
    this.sockets.clear();
    for (const r of this.nodes.values()) {
      if (r.endedAt !== null) continue;
      if (r.behind) {
        r.expiresAt = Math.max(r.stored, this.now + r.ttl);
        r.stored = r.expiresAt;
        r.behind = false;
        this.#hit("restart grace");
      } else if (r.expiresAt !== r.stored) {
        throw new Error(`model: lease ${r.id} ran past its stored expiry without being marked behind`);
      }
    }
    this.#wakeAt = this.#recompute();
  }

  /** Opens a watch socket: the same checks as a peers request. */
  watch(id: string): Expected {
    const token = this.resolve(id, { k: "own" });
    const r = this.#liveRequester(id, token);
    if (typeof r === "number") return { status: r, token };
    this.sockets.set(id, this.now);
    r.behind = true;
    this.#hit("watch");
    return { status: 101, token };
  }

  /** A ping on the node's socket: the runtime answers it and notes the time; nothing else runs. */
  ping(id: string): void {
    if (!this.sockets.has(id)) return;
    this.sockets.set(id, this.now);
    this.#hit("ping");
  }

  /** The node's sockets close: its lease counts down its TTL from their last signal. */
  unwatch(id: string): void {
    const signal = this.sockets.get(id);
    if (signal === undefined) return;
    this.sockets.delete(id);
    const r = this.nodes.get(id);
    if (r && r.endedAt === null) {
      // Written with its exact expiry: no socket holds it any more.
      if (signal + r.ttl > r.expiresAt) r.expiresAt = signal + r.ttl;
      r.stored = r.expiresAt;
      r.behind = false;
    }
    this.#hit("socket closed");
  }

  /** Who a credential pick names: a credential id, JOIN, or BOGUS. */
  resolve(id: string, pick: CredPick): string {
    switch (pick.k) {
      case "own":
        return this.credOf(id) ?? BOGUS;
      case "any":
        return this.issued.length ? this.issued[pick.i % this.issued.length] : BOGUS;
      case "join":
        return JOIN;
      case "bogus":
        return BOGUS;
    }
  }

  /** The node-side authentication order: join token, the node's own credential, another's, unknown. */
  #authenticate(id: string, token: string): "join" | "node" | 401 | 403 {
    if (token === JOIN) return "join";
    const owner = this.byCred.get(token);
    if (owner === id) return "node";
    return owner !== undefined ? 403 : 401;
  }

  register(id: string, token: string, addrs: string[], labels: Record<string, string>, ttl: number): Expected {
    this.expireIfDue();
    const principal = this.#authenticate(id, token);
    const fresh = `c${this.#credCounter + 1}`;
    if (typeof principal === "number") return { status: principal, token };
    if (this.overrides.get(id)?.action === "block") return this.#status(403, "register while blocked", token);
    const ttlMs = Math.min(3600, Math.max(10, ttl)) * 1000;
    const expiresAt = this.now + ttlMs;
    const existing = this.nodes.get(id);
    const live = existing !== undefined && existing.endedAt === null;
    if (principal === "join") {
      if (live) return this.#status(409, "join over a live lease", token);
      if (this.liveCount >= MAX_NODES) return this.#status(409, "cluster full", token);
      if (existing) this.byCred.delete(existing.cred);
      this.#credCounter++;
      this.issued.push(fresh);
      this.#startLease(id, fresh, addrs, labels, ttlMs, expiresAt);
      this.#lower(expiresAt);
      return { status: 201, token, fresh };
    }
    if (!live) {
      if (this.liveCount >= MAX_NODES) return this.#status(409, "cluster full", token);
      this.#startLease(id, existing!.cred, addrs, labels, ttlMs, expiresAt);
      this.#hit("credential restarts a lease");
      this.#lower(expiresAt);
      return { status: 201, token };
    }
    const plain = existing.ttl === ttlMs && JSON.stringify([addrs, labels]) === JSON.stringify([existing.addrs, existing.labels]);
    existing.expiresAt = expiresAt;
    existing.ttl = ttlMs;
    if (plain) {
      // Not written: storage falls behind.
      if (expiresAt > existing.stored) existing.behind = true;
    } else existing.stored = expiresAt;
    if (JSON.stringify([addrs, labels]) !== JSON.stringify([existing.addrs, existing.labels])) {
      existing.addrs = addrs;
      existing.labels = labels;
      this.#bump();
      this.#hit("address change");
    } else this.#hit("plain renewal");
    this.#lower(expiresAt);
    return { status: 200, token };
  }

  #status(status: number, event: string, token?: string): Expected {
    this.#hit(event);
    return { status, token };
  }

  #startLease(id: string, cred: string, addrs: string[], labels: Record<string, string>, ttl: number, expiresAt: number): void {
    this.nodes.set(id, { id, cred, addrs, labels, ttl, expiresAt, stored: expiresAt, behind: false, endedAt: null });
    this.byCred.set(cred, id);
    this.#bump();
  }

  /** leave and peers: a live lease, authenticated by its own credential. */
  #liveRequester(id: string, token: string): number | LeaseRecord {
    this.expireIfDue();
    const principal = this.#authenticate(id, token);
    if (typeof principal === "number") return principal;
    if (principal === "join") return 403;
    if (this.overrides.get(id)?.action === "block") return 403;
    const r = this.nodes.get(id);
    return r && r.endedAt === null ? r : 404;
  }

  leave(id: string, token: string): Expected {
    const r = this.#liveRequester(id, token);
    if (typeof r === "number") return { status: r, token };
    this.#endLease(r);
    this.#bump();
    this.#hit("leave");
    return { status: 204, token };
  }

  /** The status of a peers request (without changing anything but what expireIfDue does). */
  peersStatus(id: string, token: string): number {
    const r = this.#liveRequester(id, token);
    return typeof r === "number" ? r : 200;
  }

  setOverride(id: string, action: OverrideRecord["action"], addrs: string[], labels: Record<string, string>, expiresIn: number | null): Expected {
    const expiresAt = expiresIn === null ? null : this.now + expiresIn;
    this.overrides.set(id, { action, addrs: action === "pin" ? addrs : [], labels: action === "pin" ? labels : {}, expiresAt });
    const r = this.nodes.get(id);
    if (action === "block" && r && r.endedAt === null) {
      this.#endLease(r);
      this.#hit("block ends a live lease");
    }
    if (expiresAt !== null) this.#lower(expiresAt);
    this.#bump();
    this.#hit(action);
    return { status: 200 };
  }

  lift(id: string): Expected {
    if (!this.overrides.delete(id)) return { status: 404 };
    this.#bump();
    this.#hit("lift");
    return { status: 204 };
  }

  evict(id: string): Expected {
    const r = this.nodes.get(id);
    if (!r || r.endedAt !== null) return { status: 404 };
    this.#endLease(r);
    this.#forget(r);
    this.#bump();
    this.#hit("evict");
    return { status: 204 };
  }

  revoke(id: string): Expected {
    const r = this.nodes.get(id);
    if (!r) return { status: 404 };
    const live = r.endedAt === null;
    if (live) this.#endLease(r);
    this.#forget(r);
    if (live) this.#bump();
    this.#hit("revoke");
    return { status: 204 };
  }

  /** Applies a command and says what it must answer; null for commands that answer nothing. */
  apply(cmd: Cmd): Expected | Expected[] | null {
    const id = "node" in cmd ? NODE_IDS[cmd.node] : "";
    switch (cmd.t) {
      case "join":
        return this.register(id, JOIN, [ADDRS[cmd.addr]], labelsOf(cmd.zone), cmd.ttl);
      case "reg":
        return this.register(id, this.resolve(id, cmd.cred), [ADDRS[cmd.addr]], labelsOf(cmd.zone), cmd.ttl);
      case "renew": {
        const r = this.nodes.get(id);
        return this.register(id, this.resolve(id, { k: "own" }), r ? r.addrs : [ADDRS[0]], r ? r.labels : {}, cmd.ttl);
      }
      case "leave":
        return this.leave(id, this.resolve(id, cmd.cred));
      case "pin":
        return this.setOverride(id, "pin", [ADDRS[cmd.addr]], labelsOf(cmd.zone), cmd.expiresIn);
      case "block":
      case "drain":
        return this.setOverride(id, cmd.t, [], {}, cmd.expiresIn);
      case "lift":
        return this.lift(id);
      case "evict":
        return this.evict(id);
      case "revoke":
        return this.revoke(id);
      case "advance":
        this.now += cmd.ms;
        return null;
      case "alarm":
        // The Durable Object's alarm runs only when one is set; with nothing pending, expiry is a no-op anyway.
        this.expireDue(false);
        return null;
      case "force":
        this.expireDue(true);
        this.#hit("forced expiry");
        return { status: 200 };
      case "massJoin":
        return NODE_IDS.map((node, i) => this.register(node, JOIN, [ADDRS[i % ADDRS.length]], labelsOf(i % 3 === 0 ? "a" : null), cmd.ttl));
      case "restart":
        this.restart();
        return null;
      case "watch":
        return this.watch(id);
      case "ping":
        this.ping(id);
        return null;
      case "unwatch":
        this.unwatch(id);
        return null;
    }
  }

  /** Every peer any node may receive: live leases without an override, and pins. Sorted by id. */
  pool(): (Peer & { zone: string | null })[] {
    const pool: (Peer & { zone: string | null })[] = [];
    for (const r of this.nodes.values()) {
      if (r.endedAt === null && !this.overrides.has(r.id)) pool.push({ id: r.id, addrs: r.addrs, labels: r.labels, zone: r.labels.zone ?? null });
    }
    for (const [id, o] of this.overrides) if (o.action === "pin") pool.push({ id, addrs: o.addrs, labels: o.labels, zone: o.labels.zone ?? null });
    return pool.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** What `requester` receives: same-zone peers first; with a limit, the top-k by rendezvous weight. */
  handout(requester: string, limit: number | null, pool = this.pool()): Peer[] {
    const zone = this.nodes.get(requester)?.labels.zone ?? null;
    const candidates = pool.filter((p) => p.id !== requester);
    const same = zone === null ? [] : candidates.filter((p) => p.zone === zone);
    const other = zone === null ? candidates : candidates.filter((p) => p.zone !== zone);
    const strip = (list: (Peer & { zone: string | null })[]) => list.map(({ id, addrs, labels }) => ({ id, addrs, labels }));
    if (limit === null) return strip([...same, ...other]);
    const top = (group: (Peer & { zone: string | null })[], k: number) => {
      if (k >= group.length) return group;
      return group
        .map((p, index) => ({ p, index, weight: pairWeight(requester, p.id) }))
        .sort((a, b) => b.weight - a.weight || a.index - b.index)
        .slice(0, k)
        .sort((a, b) => a.index - b.index)
        .map((x) => x.p);
    };
    const near = top(same, limit);
    const far = near.length < limit ? top(other, limit - near.length) : [];
    return strip([...near, ...far]);
  }

  /** The admin nodes view, reduced to what identifies each row. */
  nodesView(): string[] {
    const rows: { id: string; source: string; state: string }[] = [];
    for (const r of this.nodes.values()) {
      const o = this.overrides.get(r.id);
      if (r.endedAt !== null && o?.action !== "block") continue;
      rows.push({ id: r.id, source: "lease", state: o?.action === "block" ? "blocked" : o?.action === "drain" ? "draining" : "active" });
    }
    for (const [id, o] of this.overrides) {
      if (o.action === "pin") rows.push({ id, source: "pin", state: "active" });
      else if (o.action === "block" && !this.nodes.has(id)) rows.push({ id, source: "lease", state: "blocked" });
    }
    return rows.map((r) => `${r.id}/${r.source}/${r.state}`).sort();
  }
}

// ---- command generators ----------------------------------------------------------------------

const node = fc.integer({ min: 0, max: NODE_IDS.length - 1 });
const zone = fc.constantFrom<Zone>(null, "a", "b");
const ttl = fc.constantFrom(10, 30, 60, 600);
const addr = fc.integer({ min: 0, max: ADDRS.length - 1 });
const expiresIn = fc.option(fc.integer({ min: 1_000, max: 200_000 }), { nil: null, freq: 2 });
const credPick: fc.Arbitrary<CredPick> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ k: "own" as const }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("any" as const), i: fc.nat(64) }) },
  { weight: 1, arbitrary: fc.constant({ k: "join" as const }) },
  { weight: 1, arbitrary: fc.constant({ k: "bogus" as const }) },
);

/** One command; `options.retentionJump` is the advance that forgets retired credentials. */
export function commandArb(options: { retentionJumpMs: number; restart: boolean; sockets?: boolean }): fc.Arbitrary<Cmd> {
  const sockets = options.sockets ? 1 : 0;
  const w = (weight: number, arbitrary: fc.Arbitrary<Cmd>) => ({ weight, arbitrary });
  return fc.oneof(
    w(5, fc.record({ t: fc.constant("join" as const), node, addr, zone, ttl })),
    w(3, fc.record({ t: fc.constant("reg" as const), node, cred: credPick, addr, zone, ttl })),
    w(5, fc.record({ t: fc.constant("renew" as const), node, ttl })),
    w(2, fc.record({ t: fc.constant("leave" as const), node, cred: credPick })),
    w(1, fc.record({ t: fc.constant("pin" as const), node, addr, zone, expiresIn })),
    w(1, fc.record({ t: fc.constant("block" as const), node, expiresIn })),
    w(1, fc.record({ t: fc.constant("drain" as const), node, expiresIn })),
    w(2, fc.record({ t: fc.constant("lift" as const), node })),
    w(1, fc.record({ t: fc.constant("evict" as const), node })),
    w(1, fc.record({ t: fc.constant("revoke" as const), node })),
    w(
      5,
      fc.record({
        t: fc.constant("advance" as const),
        ms: fc.oneof(
          { weight: 6, arbitrary: fc.integer({ min: 1, max: 40_000 }) },
          { weight: 3, arbitrary: fc.integer({ min: 40_000, max: 700_000 }) },
          { weight: 1, arbitrary: fc.constant(options.retentionJumpMs) },
        ),
      }),
    ),
    w(2, fc.constant({ t: "alarm" as const })),
    w(1, fc.constant({ t: "force" as const })),
    w(1, fc.record({ t: fc.constant("massJoin" as const), ttl })),
    w(options.restart ? 2 : 0, fc.constant({ t: "restart" as const })),
    w(4 * sockets, fc.record({ t: fc.constant("watch" as const), node })),
    w(8 * sockets, fc.record({ t: fc.constant("ping" as const), node })),
    w(3 * sockets, fc.record({ t: fc.constant("unwatch" as const), node })),
  );
}

export function sequenceArb(options: { retentionJumpMs: number; restart: boolean; sockets?: boolean; maxLength: number }): fc.Arbitrary<Cmd[]> {
  return fc.array(commandArb(options), { minLength: 1, maxLength: options.maxLength, size: "max" });
}
