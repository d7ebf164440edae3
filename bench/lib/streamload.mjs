/**
 * The closed-loop generator for message streams (WebSocket or gRPC), the counterpart of
 * loadgen.mjs for HTTP: one loop per stream, each sending its next message as soon as the
 * answer to the previous one has arrived, in this one Node process, for `seconds` after a
 * warm-up. Both systems are driven by this same code; only `send` differs.
 */
import { loadResult, measuringWindow } from "./measure.mjs";

/**
 * @param {object} o
 * @param {Array<() => Promise<boolean>>} o.streams  one function per stream: sends one message,
 *   resolves true when the expected answer arrived (false counts as an error)
 * @param {number} o.seconds
 */
export async function streamLoad({ streams, seconds, warmupSeconds = 0.5 }) {
  const latencies = [];
  let errors = 0;
  let firstError = null;
  let measuring = false;
  let stop = false;
  const loops = streams.map(async (send) => {
    while (!stop) {
      const t0 = process.hrtime.bigint();
      let good = false;
      try {
        good = await send();
      } catch (err) {
        firstError ??= String(err);
      }
      if (!good) {
        errors++;
        if (errors > 1000) return;
        continue;
      }
      if (measuring) latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  });
  const elapsed = await measuringWindow({ warmupSeconds, seconds, record: (on) => (measuring = on), stop: () => (stop = true) });
  await Promise.all(loops);
  return loadResult(latencies, elapsed, errors, firstError);
}

/**
 * A WebSocket as a request/response stream: `request(text)` sends and resolves with the next
 * message. Messages that arrive with no request waiting (snapshots, deltas) go to `onOther`.
 * With `greeting`, it resolves once the server's first message (a watch's snapshot) arrived.
 */
export function openSocket(url, protocols, { greeting = false, onOther = () => {} } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    let waiting = null;
    let opened = false;
    ws.onerror = (e) => {
      if (!opened) reject(new Error(`${url}: ${e.message ?? "WebSocket error"}`));
      waiting?.(null);
      waiting = null;
    };
    ws.onclose = () => {
      waiting?.(null);
      waiting = null;
    };
    let api = null;
    ws.onmessage = (ev) => {
      if (greeting && !api?.greeted) {
        onOther(ev.data);
        api.greeted = true;
        resolve(api);
      } else if (waiting) {
        const w = waiting;
        waiting = null;
        w(ev.data);
      } else onOther(ev.data);
    };
    ws.onopen = () => {
      opened = true;
      api = {
        greeted: false,
        ws,
        /** Sends `text`; the next message that arrives is its answer. */
        request(text) {
          return new Promise((res) => {
            waiting = res;
            ws.send(text);
          });
        },
        close: () => ws.close(),
      };
      if (!greeting) resolve(api);
    };
  });
}
