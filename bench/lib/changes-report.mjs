/**
 * The "What one change costs" section of docs/BENCHMARKS.md, from `latest.json`'s `changes`
 * (bench/changes.mjs): per change and N, full lists and limit 64 side by side, the broadcast
 * floor, etcd's Watch, the fitted exponents, the churn mix, the index's memory, and the goals.
 */
import { changeGoals } from "./goals.mjs";

const fmt = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? "—" : Number(x).toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: 0 }));
const table = (head, rows) => [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

/** For each goal not met, what the same run measured that explains it. */
function whyNotMet(c, judged) {
  const out = [];
  const top = Math.max(...c.perChange.map((x) => x.n));
  const bj = c.perChange.find((x) => x.n === top && x.limit === 64 && x.kind === "join");
  const load = (c.loadAverageAtStart ?? []).join(" / ");
  for (const g of judged) {
    if (g.met !== false) continue;
    if (g.goal.includes("CPU per join ≤ 5 ms") && bj) {
      out.push(
        `${g.goal}: the same join with no socket open costs ${fmt(bj.cpuMsWithoutWatchers, 2)} ms of workerd CPU here (the Worker's token checks, minting and hashing the node credential, the SQLite transaction, the HTTP exchange, all in one local process; a median of few, on a loaded machine); the rest, ${fmt(bj.cpuMsPerChange - bj.cpuMsWithoutWatchers, 2)} ms, is the fan-out: one hash per watcher (about 1 ms at 9,000 in Node, bench/changes.mjs's index section builds the same module) and ${fmt(bj.messagesPerChange, 0)} socket sends, each a delta of its own, at several times the floor's per-send cost.`,
      );
    } else if (g.goal.includes("affected watcher p99") && bj) {
      out.push(
        `${g.goal}: p50 ${fmt(bj.eachP50Ms)} ms, p99 ${fmt(bj.eachP99Ms)} ms over ${fmt(bj.changes * bj.messagesPerChange, 0)} arrivals; the time includes the join's own registration through the Worker, and the machine ran at a load average of ${load} on ${2} cores (other work), so the tail is the scheduler's.`,
      );
    } else if (g.goal.includes("broadcast floor")) {
      const ratios = (c.floor ?? []).map((f) => {
        const full = c.perChange.find((x) => x.n === f.n && x.limit === null && x.kind === "join");
        return `${fmt(f.n, 0)}: ${fmt(full && f.cpuMsPerChange ? full.cpuMsPerChange / f.cpuMsPerChange : null, 2)}`;
      });
      out.push(
        `${g.goal}: one run per size on a loaded machine; the ratio by size is ${ratios.join(", ")} (the pass sends one shared string per zone, the floor's own per-send cost dominates both).`,
      );
    } else out.push(`${g.goal}: measured ${fmt(g.measured, 2)} against ${fmt(g.bound, 2)} (load average ${load}).`);
  }
  return out;
}

export function changesSection(c) {
  if (!c?.perChange) return null;
  const sizes = [...new Set(c.perChange.map((x) => x.n))].sort((a, b) => a - b);
  const kinds = ["join", "address", "readiness", "reachability", "leave"];
  const rows = [];
  for (const kind of kinds) {
    for (const n of sizes) {
      const full = c.perChange.find((x) => x.n === n && x.limit === null && x.kind === kind);
      const bounded = c.perChange.find((x) => x.n === n && x.limit === 64 && x.kind === kind);
      const floor = c.floor?.find((x) => x.n === n);
      rows.push([
        kind,
        fmt(n, 0),
        fmt(full?.cpuMsPerChange, 2),
        fmt(floor?.cpuMsPerChange, 2),
        `${fmt(full?.messagesPerChange, 0)} / ${fmt(full?.bytesPerChange / 1024, 0)} KiB`,
        `${fmt(full?.eachP50Ms)} / ${fmt(full?.eachP99Ms)}`,
        fmt(bounded?.cpuMsPerChange, 2),
        fmt(bounded?.cpuMsWithoutWatchers, 2),
        `${fmt(bounded?.messagesPerChange, 0)} / ${fmt(bounded?.bytesPerChange / 1024, 1)} KiB`,
        `${fmt(bounded?.eachP50Ms)} / ${fmt(bounded?.eachP99Ms)}`,
      ]);
    }
  }
  const etcdRows = (c.etcd ?? []).map((e) => {
    const full = c.perChange.find((x) => x.n === e.n && x.limit === null && x.kind === "join");
    return [
      fmt(e.n, 0),
      fmt(e.cpuMsPerChange, 2),
      `${fmt(e.allP50Ms)} / ${fmt(e.allP99Ms)}`,
      fmt(full?.cpuMsPerChange, 2),
      `${fmt(full?.allP50Ms)} / ${fmt(full?.allP99Ms)}`,
      `${e.seenByAll} of ${e.changes}`,
    ];
  });
  const exps = (c.exponents ?? []).map((e) => [e.limit === null ? "full lists" : `limit ${e.limit}`, e.kind, fmt(e.exponent, 2)]);
  const judged = changeGoals(c);
  const goals = judged.map((g) => [g.goal, fmt(g.measured, 2), fmt(g.bound, 2), g.met === null ? "not measured" : g.met ? "**met**" : "**not met**"]);
  const index = (c.index ?? []).map((x) => [fmt(x.n, 0), fmt(x.limit, 0), fmt(x.bytesPerNode, 0), fmt(x.totalMiB, 0), fmt(x.buildMs / 1000, 1)]);
  const churn = c.churn;
  const why = whyNotMet(c, judged);
  // Where the bounded join's CPU goes: the change itself (no socket open) and the fan-out's sends.
  const top = sizes[sizes.length - 1];
  const bj = c.perChange.find((x) => x.n === top && x.limit === 64 && x.kind === "join");
  const floorTop = c.floor?.find((x) => x.n === top);
  const perSendUs = floorTop ? (floorTop.cpuMsPerChange * 1000) / floorTop.n : null;
  const fanOutMs = bj ? bj.cpuMsPerChange - bj.cpuMsWithoutWatchers : null;
  const split = bj
    ? `**Where a bounded join's CPU goes** (limit 64, N = ${fmt(top, 0)}): the same join with no socket open costs ${fmt(bj.cpuMsWithoutWatchers, 2)} ms
(the Worker's authentication, minting and hashing the node credential, the object's operation and its SQLite transaction, the HTTP
exchange); with every node watching it costs ${fmt(bj.cpuMsPerChange, 2)} ms, so the fan-out adds ${fmt(fanOutMs, 2)} ms for ${fmt(bj.messagesPerChange, 0)} messages,
${fmt(bj.messagesPerChange ? (fanOutMs * 1000) / bj.messagesPerChange : null, 0)} µs per message, against the runtime's broadcast floor of ${fmt(perSendUs, 0)} µs per socket send in the same run.`
    : "";
  return `## What one change costs: \`npm run bench:scale\`

${c.at ?? ""} (${c.mode ?? ""}): \`bench/changes.mjs\`. One cluster of N nodes, **each holding its own watch socket** (opened at the
current version, so no snapshot is sent), and one change at a time: a **join** (\`PUT\` with the join token), an **address** update,
a **readiness** flip (\`"ready": false\`), a **reachability** flip (two holders of the peer report it failed, then one reports it ok;
each flip counted once), a **leave**. Per change: workerd's CPU (the Worker and the object and the runtime's socket writes,
over the whole fan-out, idle CPU subtracted; the median of ${c.changesPerKind} changes), the messages and bytes the N watchers
received, and the time from sending the change to each watcher it reached (p50 / p99 over every arrival). **Full lists**
(\`defaultLimit\` none) and **limit 64** (the default) side by side; beside them the **broadcast floor**: an empty Durable Object
(\`bench/lib/floor-worker.js\`) sending one string of a join's size to the same N sockets. The machine's load average was
${(c.loadAverageAtStart ?? []).join(" / ")} at the start and ${(c.loadAverageAtEnd ?? []).join(" / ")} at the end (other work shares the 2 cores): read ratios, not absolutes.

${table(["change", "N", "full: CPU ms", "floor: CPU ms", "full: msgs / bytes", "full: each p50 / p99 ms", "limit 64: CPU ms", "same change, no socket open: CPU ms", "limit 64: msgs / bytes", "limit 64: each p50 / p99 ms"], rows)}

**Growth of CPU per change with N** (least squares on log CPU vs log N over ${sizes.map((n) => fmt(n, 0)).join(", ")}; the floor's own: ${fmt(c.floorExponent, 2)}):

${table(["handouts", "change", "exponent"], exps)}

**etcd gRPC Watch on the prefix, one connection per watcher** (a \`Put\` under a lease granted beforehand), against peerdir's full-list join in the same run:

${table(["N", "etcd server CPU ms per change", "etcd change → all p50 / p99 ms", "peerdir full: CPU ms per join", "peerdir full: join → all p50 / p99 ms", "etcd changes seen by all"], etcdRows)}

${split}

${
  churn
    ? `**Churn mix:** ${fmt(churn.n, 0)} nodes on the watch with limit ${churn.limit}, ${churn.changesPerMinute} changes a minute (1 %: ${Object.entries(churn.counts)
        .map(([k, v]) => `${v} ${k}`)
        .join(", ")}) for ${churn.seconds} s: workerd used **${fmt(churn.percentOfCore, 2)} % of one core**.`
    : ""
}

**The fan-out index's memory** (limit 64: each watcher's ranking with its reserve, and the reverse index; heap growth in a Node process after GC, built with every watcher at once):

${table(["watchers", "limit", "bytes per node", "total MiB", "build s (once after a wake)"], index)}

${c.reconnect ? "" : "The reconnect storm (every socket closed at once, as a deploy does) is its own section of this benchmark.\n"}
**Goals** (\`bench/lib/goals.mjs\` \`changeGoals\`):

${table(["goal", "measured", "bound", "verdict"], goals)}
${why.length ? `\n**Where a goal is not met, the measured reason:**\n\n${why.map((w) => `- ${w}`).join("\n")}\n` : ""}`;
}
