/**
 * A fault-injecting TCP proxy on 127.0.0.1 in front of the real directory Worker, for the fleet
 * fault test: it passes bytes through (HTTP and WebSocket alike), refuses connections (the
 * directory down: its listening socket is closed), answers every request `503`, or holds every
 * new connection for `slowMs` before passing it on (the directory slow). Switching modes cuts the
 * connections open at that moment, as a real fault does to keep-alive sockets and watches.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export type FaultMode = "pass" | "refuse" | "503" | "slow";

const UNAVAILABLE = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 12\r\nconnection: close\r\n\r\nunavailable\n";

export class FaultProxy {
  mode: FaultMode = "pass";
  port = 0;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    public upstreamPort: number,
    private readonly slowMs = 10_000,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port: this.port, host: "127.0.0.1", backlog: 4096 }, () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async set(mode: FaultMode): Promise<void> {
    if (mode === this.mode) return;
    const before = this.mode;
    this.mode = mode;
    this.cut();
    if (mode === "refuse") await this.closeServer();
    else if (before === "refuse") await this.start();
  }

  async stop(): Promise<void> {
    this.cut();
    await this.closeServer();
  }

  private cut(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private async closeServer(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.mode === "503") {
      client.once("data", () => client.end(UNAVAILABLE));
      return;
    }
    client.pause();
    const pass = () => {
      if (client.destroyed) return;
      const upstream = connect(this.upstreamPort, "127.0.0.1");
      this.track(upstream);
      upstream.on("close", () => client.destroy());
      client.on("close", () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    };
    if (this.mode === "slow") setTimeout(pass, this.slowMs).unref();
    else pass();
  }
}
