/**
 * The directory Worker, instrumented for the soak and the scale benchmark: the real bundle (imported as ./peerdir.js)
 * with the cluster object's storage calls counted, as Cloudflare bills them: rows written by
 * SQL statements (`cursor.rowsWritten`) and alarms set (each `setAlarm` is a row written).
 * `GET /__bench/storage` answers the totals since workerd started. Nothing else changes.
 */
import real, { ClusterCatalog as RealCatalog, ClusterDirectory as RealDirectory } from "./peerdir.js";

const tally = { sqlStatements: 0, sqlRowsWritten: 0, alarmsSet: 0 };

function instrument(storage) {
  const sql = storage.sql;
  if (!sql.__counted) {
    const exec = sql.exec.bind(sql);
    sql.exec = (query, ...bindings) => {
      const cursor = exec(query, ...bindings);
      tally.sqlStatements++;
      tally.sqlRowsWritten += cursor.rowsWritten;
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
  }
}

export class ClusterCatalog extends RealCatalog {}

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__bench/storage") return Response.json(tally);
    return real.fetch(request, env, ctx);
  },
};
