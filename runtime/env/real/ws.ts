// MsgSockets over WebSocket (the `ws` package, with bufferutil): binary frames, no compression.
import type { IncomingMessage } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import { FRAME_SIZE_MAX_BYTES } from '../../transport/codec.ts';
import type { Listener, MsgSocket } from '../types.ts';

/** A connect that has not completed its handshake by then fails (onClose fires). */
export const WS_HANDSHAKE_TIMEOUT_MS = 5_000;

type CloseCb = (reason: string) => void;
type MessageCb = (frame: Uint8Array) => void;
type OpenCb = () => void;

/** Wraps one ws WebSocket (either side) as a MsgSocket. */
export class WsMsgSocket implements MsgSocket {
  readonly #ws: WebSocket;
  readonly #onMessage: MessageCb[] = [];
  readonly #onClose: CloseCb[] = [];
  readonly #onOpen: OpenCb[] = [];
  #closedReason: string | undefined;
  #lastError: string | undefined;

  constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => {
      for (const cb of this.#onOpen) cb();
    });
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      // ws hands over a fresh buffer per message (never reused), so the receiver may keep it.
      const frame = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
      for (const cb of this.#onMessage) cb(frame);
    });
    ws.on('error', (err: Error) => {
      // Always followed by 'close'; remembered so that onClose says why.
      this.#lastError = err.message;
    });
    ws.on('close', (code: number, reason: Buffer) => {
      const text = reason.length > 0 ? reason.toString() : '';
      this.#closedReason = this.#lastError ?? (text !== '' ? `${code} ${text}` : `closed (${code})`);
      for (const cb of this.#onClose) cb(this.#closedReason);
    });
  }

  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** Sends one binary frame; dropped if the socket is not open (its close reports the loss). The caller must not modify `frame` afterwards. */
  send(frame: Uint8Array): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.#ws.send(frame, { binary: true });
  }

  bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  close(): void {
    const state = this.#ws.readyState;
    if (state === WebSocket.CLOSED || state === WebSocket.CLOSING) return;
    if (state === WebSocket.CONNECTING) this.#ws.terminate();
    else this.#ws.close(1000, 'closed');
  }

  /** Hard close without the closing handshake (listener shutdown). */
  terminate(): void {
    this.#ws.terminate();
  }

  onMessage(cb: MessageCb): void {
    this.#onMessage.push(cb);
  }

  onClose(cb: CloseCb): void {
    this.#onClose.push(cb);
    const reason = this.#closedReason;
    if (reason !== undefined) queueMicrotask(() => cb(reason));
  }

  onOpen(cb: OpenCb): void {
    this.#onOpen.push(cb);
    if (this.isOpen) queueMicrotask(() => cb());
  }
}

export async function listenMsg(
  host: string,
  port: number,
  onConnection: (sock: MsgSocket, remote: string) => void,
): Promise<Listener> {
  const wss = new WebSocketServer({ host, port, perMessageDeflate: false, maxPayload: FRAME_SIZE_MAX_BYTES });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    wss.once('error', onError);
    wss.once('listening', () => {
      wss.off('error', onError);
      resolve();
    });
  });
  wss.on('error', () => {});
  const sockets = new Set<WsMsgSocket>();
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const sock = new WsMsgSocket(ws);
    sockets.add(sock);
    sock.onClose(() => sockets.delete(sock));
    onConnection(sock, `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? 0}`);
  });
  const address = wss.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  let closing: Promise<void> | undefined;
  return {
    port: boundPort,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.terminate();
        wss.close(() => resolve());
      });
      return closing;
    },
  };
}

function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

/** Starts connecting and returns at once; onOpen (or, on failure, onClose) fires later. */
export function connectMsg(url: string): MsgSocket {
  let ws: WebSocket;
  try {
    // The Smap advertises intra-cluster networks as http:// URLs (as AIS); the stream is a WebSocket.
    ws = new WebSocket(url.replace(/^http(s?):\/\//, 'ws$1://'), {
      perMessageDeflate: false,
      maxPayload: FRAME_SIZE_MAX_BYTES,
      handshakeTimeout: WS_HANDSHAKE_TIMEOUT_MS,
      // A zero mask: `ws` then sends payloads without the masking copy (1 MiB per rebalance chunk).
      // Masking protects browsers from cache poisoning; node-to-node intra-cluster streams need none.
      generateMask: zeroMask,
    });
  } catch (err) {
    // A malformed URL throws synchronously; report it the MsgSocket way.
    return new FailedMsgSocket(err instanceof Error ? err.message : String(err));
  }
  return new WsMsgSocket(ws);
}

/** A socket that never opened (bad URL): closes asynchronously with the reason. */
class FailedMsgSocket implements MsgSocket {
  readonly isOpen = false;
  constructor(readonly reason: string) {}
  send(): void {}
  bufferedAmount(): number {
    return 0;
  }
  close(): void {}
  onMessage(): void {}
  onClose(cb: CloseCb): void {
    queueMicrotask(() => cb(this.reason));
  }
  onOpen(): void {}
}
