/**
 * A small WebSocket client (RFC 6455) on `node:http`, for the watch: text messages, pings
 * answered, the close handshake, nothing else (no extensions, no binary messages). The agent
 * does not use Node's global WebSocket: it is undici's, and loading undici costs about 12 MiB
 * resident, a third of the agent's whole footprint.
 *
 * It reports the directory's close code as soon as the close frame arrives, without waiting for
 * the TCP connection to end (local workerd never ends it after a close it starts).
 */
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { crypto, http, https, tlsOptions } from "../builtins.js";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** Messages larger than this end the socket (a handout of thousands of peers is well below). */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface WebSocketHandlers {
  /** The upgrade succeeded; `headers` are the 101's. */
  onOpen(headers: IncomingMessage["headers"]): void;
  onMessage(text: string): void;
  /** Fires once: the upgrade failed (`opened` false), or the socket closed or broke. */
  onClose(code: number, reason: string, opened: boolean): void;
}

export class WebSocketClient {
  /** 0 connecting, 1 open, 2 closing, 3 closed (as the standard WebSocket). */
  readyState = 0;
  private socket: Socket | null = null;
  private buffered: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  /** The opcode of the message being assembled (its first frame's). */
  private messageOpcode = 0;
  private readonly request: ReturnType<typeof http.request>;

  constructor(
    url: string,
    protocols: readonly string[],
    private readonly handlers: WebSocketHandlers,
    headers: Record<string, string> = {},
  ) {
    const target = new URL(url.replace(/^ws/, "http"));
    const key = crypto.randomBytes(16).toString("base64");
    const secure = target.protocol === "https:";
    this.request = (secure ? https() : http).request(target, {
      ...(secure ? tlsOptions() : {}),
      headers: {
        ...headers,
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": key,
        "sec-websocket-protocol": protocols.join(", "),
      },
    });
    this.request.on("upgrade", (res: IncomingMessage, socket: Socket, head: Buffer) => {
      const accept = crypto
        .createHash("sha1")
        .update(key + GUID)
        .digest("base64");
      if (res.headers["sec-websocket-accept"] !== accept) {
        socket.destroy();
        return this.finish(1006, "the WebSocket handshake was not answered correctly");
      }
      this.socket = socket;
      this.readyState = 1;
      socket.setNoDelay(true);
      socket.on("data", (chunk: Buffer) => this.read(chunk));
      socket.on("close", () => this.finish(1006, "the connection ended"));
      socket.on("error", () => socket.destroy());
      this.handlers.onOpen(res.headers);
      if (head.length > 0) this.read(head);
    });
    // Any answer but 101: no upgrade (refused, or a proxy that does not pass upgrades).
    this.request.on("response", (res: IncomingMessage) => {
      res.resume();
      this.finish(1006, `the WebSocket upgrade failed (HTTP ${res.statusCode})`);
    });
    this.request.on("error", (err: NodeJS.ErrnoException) => this.finish(1006, `the WebSocket upgrade failed (${err.code ?? err.message})`));
    this.request.end();
  }

  send(text: string): void {
    if (this.readyState !== 1) throw new Error("the WebSocket is not open");
    this.frame(0x1, Buffer.from(text, "utf8"));
  }

  /** Starts the close handshake (or abandons a connection still being made) and reports the close at once. */
  close(code = 1000, reason = ""): void {
    if (this.readyState === 0) {
      this.request.destroy();
      return this.finish(code, reason);
    }
    if (this.readyState !== 1) return;
    this.closeFrame(code);
    this.endSocket();
    this.finish(code, reason);
  }

  /** Ends the connection after the close frame; a peer that never ends its side is cut after 2 s. */
  private endSocket(): void {
    const socket = this.socket;
    if (!socket) return;
    socket.end();
    socket.setTimeout(2_000, () => socket.destroy());
  }

  private closeFrame(code: number): void {
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.frame(0x8, payload);
    this.readyState = 2;
  }

  /** Client frames are masked (RFC 6455 §5.3). */
  private frame(opcode: number, payload: Buffer): void {
    const length = payload.length;
    const header = Buffer.alloc(length < 126 ? 6 : length < 65536 ? 8 : 14);
    header[0] = 0x80 | opcode;
    let offset = 2;
    if (length < 126) header[1] = 0x80 | length;
    else if (length < 65536) {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(length, 2);
      offset = 4;
    } else {
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(length), 2);
      offset = 10;
    }
    const mask = crypto.randomBytes(4);
    mask.copy(header, offset);
    const masked = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i & 3]!;
    this.socket?.write(Buffer.concat([header, masked]));
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.readyState === 1 || this.readyState === 2) {
      const b = this.buffered;
      if (b.length < 2) return;
      const fin = (b[0]! & 0x80) !== 0;
      const opcode = b[0]! & 0x0f;
      const masked = (b[1]! & 0x80) !== 0;
      let length = b[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (length > MAX_MESSAGE_BYTES) return this.fail(1009, "message too big");
      const mask = masked ? b.subarray(offset, offset + 4) : null;
      if (masked) offset += 4;
      if (b.length < offset + length) return;
      const payload = Buffer.from(b.subarray(offset, offset + length));
      this.buffered = b.subarray(offset + length);
      if (mask) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i & 3]!;
      this.handle(fin, opcode, payload);
    }
  }

  private handle(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === 0x8) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      if (this.readyState === 1) this.closeFrame(code === 1005 ? 1000 : code);
      this.endSocket();
      return this.finish(code, payload.subarray(2).toString("utf8"));
    }
    if (opcode === 0x9) {
      if (this.readyState === 1) this.frame(0xa, payload);
      return;
    }
    if (opcode === 0xa) return;
    // Text (1), binary (2) and their continuations (0): only whole text messages are delivered.
    if (opcode !== 0x0) {
      this.fragments = [];
      this.messageOpcode = opcode;
    }
    this.fragments.push(payload);
    if (!fin) return;
    const message = this.fragments.length === 1 ? this.fragments[0]! : Buffer.concat(this.fragments);
    this.fragments = [];
    if (this.messageOpcode === 0x1) this.handlers.onMessage(message.toString("utf8"));
  }

  private fail(code: number, reason: string): void {
    if (this.readyState === 1) this.closeFrame(code);
    this.socket?.destroy();
    this.finish(code, reason);
  }

  private finish(code: number, reason: string): void {
    if (this.readyState === 3) return;
    const opened = this.socket !== null;
    this.readyState = 3;
    this.buffered = Buffer.alloc(0);
    this.handlers.onClose(code, reason, opened);
  }
}
