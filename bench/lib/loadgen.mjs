/**
 * A small closed-loop HTTP/1.1 load generator: `connections` keep-alive connections, each
 * sending its next request as soon as the previous answer is read, for `seconds`. The same
 * generator drives peerdir and etcd. Latencies are kept raw (sorted at the end) for p50/p99.
 */
import http from "node:http";
import { loadResult, measuringWindow } from "./measure.mjs";

/**
 * @param {object} o
 * @param {string} o.url            base URL, http://127.0.0.1:port
 * @param {number} o.connections
 * @param {number} o.seconds
 * @param {(conn:number, i:number) => {method:string, path:string, headers?:object, body?:Buffer|string, expect:number}} o.request
 */
export async function load({ url, connections, seconds, warmupSeconds = 0.5, request }) {
  const { hostname, port } = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  const latencies = [];
  let errors = 0;
  let unexpected = null;
  let measuring = false;
  let stop = false;

  const one = (conn, i) =>
    new Promise((resolve) => {
      const r = request(conn, i);
      const headers = { ...(r.headers ?? {}) };
      if (r.body !== undefined) headers["Content-Length"] = Buffer.byteLength(r.body);
      const t0 = process.hrtime.bigint();
      const req = http.request({ agent, hostname, port, method: r.method, path: r.path, headers }, (res) => {
        res.on("data", () => {});
        res.on("end", () => {
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          if (res.statusCode !== r.expect) {
            errors++;
            unexpected ??= `${r.method} ${r.path}: HTTP ${res.statusCode}, expected ${r.expect}`;
          } else if (measuring) latencies.push(ms);
          resolve();
        });
      });
      req.on("error", (err) => {
        errors++;
        unexpected ??= String(err);
        resolve();
      });
      if (r.body !== undefined) req.write(r.body);
      req.end();
    });

  const loops = [];
  for (let c = 0; c < connections; c++) {
    loops.push(
      (async () => {
        let i = 0;
        while (!stop) await one(c, i++);
      })(),
    );
  }
  const elapsed = await measuringWindow({ warmupSeconds, seconds, record: (on) => (measuring = on), stop: () => (stop = true) });
  await Promise.all(loops);
  agent.destroy();
  return loadResult(latencies, elapsed, errors, unexpected);
}
