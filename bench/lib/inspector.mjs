/**
 * The V8 inspector of the directory's isolate in local workerd (`workerd serve --inspector-addr`):
 * CPU profiles for bench/profile.mjs, forced GC and heap usage for the soak's memory check.
 */
export async function connectInspector(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const target = targets.find((t) => /peerdir|core:user/.test(t.webSocketDebuggerUrl ?? "")) ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let id = 0;
  const waiting = new Map();
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    waiting.get(message.id)?.(message);
    waiting.delete(message.id);
  };
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      const i = ++id;
      waiting.set(i, resolve);
      ws.send(JSON.stringify({ id: i, method, params }));
    });
  return {
    send,
    /** The isolate's used JS heap after a forced GC, in MiB. */
    async heapUsedMiB() {
      await send("HeapProfiler.collectGarbage");
      const { result } = await send("Runtime.getHeapUsage");
      return result ? Math.round((result.usedSize / 1048576) * 10) / 10 : null;
    },
    close: () => ws.close(),
  };
}
