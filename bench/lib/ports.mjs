/** Loopback ports for the servers and agents the benchmarks start. */
import { createServer } from "node:net";

const handedOut = new Set();

/**
 * A port that was free a moment ago (bind port 0, read it, close), and never one this process
 * handed out before: the kernel may give the same ephemeral port twice in a row, and two agents
 * told to listen on one port leave one of them dead while the other answers for both.
 */
export async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const s = createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
