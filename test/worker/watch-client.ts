// A watch socket as a test reads it: each message in turn, with a time-out, and its close.
import { exports } from "cloudflare:workers";
import { expect } from "vitest";

export interface Watch {
  ws: WebSocket;
  next(): Promise<Record<string, unknown>>;
  nextRaw(): Promise<string>;
  closed: Promise<{ code: number; reason: string }>;
}

export async function openWatch(cluster: string, node: string, credential: string, query = "", viaProtocol = false): Promise<Watch> {
  const headers: Record<string, string> = { Upgrade: "websocket" };
  if (viaProtocol) headers["Sec-WebSocket-Protocol"] = `peerdir, bearer.${credential}`;
  else headers.Authorization = `Bearer ${credential}`;
  const res = await exports.default.fetch(new Request(`http://peerdir.test/v1/clusters/${cluster}/nodes/${node}/watch${query}`, { headers }));
  if (res.status !== 101) throw new Error(`watch refused: ${res.status} ${await res.text()}`);
  if (viaProtocol) expect(res.headers.get("Sec-WebSocket-Protocol")).toBe("peerdir");
  const ws = res.webSocket!;
  const queue: string[] = [];
  const waiting: ((m: string) => void)[] = [];
  ws.addEventListener("message", (e) => {
    const data = String(e.data);
    const waiter = waiting.shift();
    if (waiter) waiter(data);
    else queue.push(data);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })));
  ws.accept();
  const nextRaw = () =>
    new Promise<string>((resolve, reject) => {
      const queued = queue.shift();
      if (queued !== undefined) return resolve(queued);
      const timer = setTimeout(() => reject(new Error("no message within 3 s")), 3000);
      waiting.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  return { ws, nextRaw, next: async () => JSON.parse(await nextRaw()), closed };
}
