/**
 * The directory Worker, instrumented for the soak and the scale benchmark: the real bundle (imported as ./peerdir.js)
 * with the cluster object's storage calls counted, as Cloudflare bills them: rows written by
 * SQL statements (`cursor.rowsWritten`) and alarms set (each `setAlarm` is a row written).
 * `GET /__bench/storage` answers the totals since workerd started. `POST /__bench/restart?cluster=NAME`
 * restarts that cluster's object as a deploy does (`ctx.abort()`: its memory goes and every socket it
 * holds is cut; the next request starts a fresh instance from storage). Nothing else changes.
 */
import real, { ClusterCatalog as RealCatalog, ClusterDirectory as RealDirectory } from "./peerdir.js";

const tally = { sqlStatements: 0, sqlRowsWritten: 0, alarmsSet: 0, rowsByTable: {} };
/** The table a writing statement names (INSERT INTO t, UPDATE t, DELETE FROM t). */
const TABLE = /^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)/i;

function instrument(storage) {
  const sql = storage.sql;
  if (!sql.__counted) {
    const exec = sql.exec.bind(sql);
    sql.exec = (query, ...bindings) => {
      const cursor = exec(query, ...bindings);
      tally.sqlStatements++;
      tally.sqlRowsWritten += cursor.rowsWritten;
      const table = cursor.rowsWritten ? TABLE.exec(query)?.[1] : undefined;
      if (table) tally.rowsByTable[table] = (tally.rowsByTable[table] ?? 0) + cursor.rowsWritten;
      return cursor;
    };
    sql.__counted = true;
  }
  const setAlarm = storage.setAlarm.bind(storage);
  storage.setAlarm = (...args) => {
    tally.alarmsSet++;
    return setAlarm(...args);
  };
}

export class ClusterDirectory extends RealDirectory {
  constructor(ctx, env) {
    instrument(ctx.storage);
    super(ctx, env);
    this.benchCtx = ctx;
  }

  fetch(request) {
    if (new URL(request.url).pathname === "/__bench/restart") this.benchCtx.abort("restarted by the benchmark, as a deploy would");
    return super.fetch(request);
  }
}

export class ClusterCatalog extends RealCatalog {}

async function restart(env, cluster) {
  try {
    await env.CLUSTER.getByName(cluster).fetch("http://object/__bench/restart");
  } catch {
    // abort() throws into the call that triggered it: the restart happened.
  }
  return new Response(null, { status: 204 });
}

export default {
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/__bench/storage") return Response.json(tally);
    if (url.pathname === "/__bench/restart" && request.method === "POST") return restart(env, url.searchParams.get("cluster"));
    return real.fetch(request, env, ctx);
  },
};
