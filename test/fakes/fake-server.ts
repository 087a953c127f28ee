import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** One request as the fake received it, for asserting exactly what a provider client sent. */
export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  url: string;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** Date.now() when it arrived. */
  at: number;
}

export type FakeHandler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

export interface FakeServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  requests: RecordedRequest[];
  /** Replaces how the next requests are answered. */
  handle(handler: FakeHandler): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 standing in for an external service, so the real SDK and HTTP code
 * run against it. Each fake (OpenAI, Anthropic, Gemini, ...) is a handler speaking that wire protocol.
 */
export async function startFakeServer(handler: FakeHandler): Promise<FakeServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // Kept as text.
    }
    const recorded = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, at: Date.now() };
    requests.push(recorded);
    try {
      await current(recorded, res);
    } catch (error) {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `fake server failed: ${(error as Error).message}` } });
      else res.destroy();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    handle(next) {
      current = next;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export interface SseOptions {
  /** Pause between events. Default: 0. */
  delayMs?: number;
  /** Destroy the connection after this many events, as a provider dying mid-stream. Default: never. */
  cutAfter?: number;
}

/** Writes Server-Sent Events: each item is `{ event?, data }`, data serialized as JSON unless a string. */
export async function sendSse(
  res: ServerResponse,
  events: { event?: string; data: unknown }[],
  { delayMs = 0, cutAfter }: SseOptions = {},
) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  for (const [index, { event, data }] of events.entries()) {
    if (cutAfter !== undefined && index >= cutAfter) {
      // Let what was written reach the client first, so it sees a stream that starts and then dies.
      await new Promise<void>((resolve) => res.write('', () => resolve()));
      await sleep(20);
      res.destroy();
      return;
    }
    const payload = typeof data === 'string' ? data : JSON.stringify(data);
    res.write(`${event ? `event: ${event}\n` : ''}data: ${payload}\n\n`);
    if (delayMs) await sleep(delayMs);
  }
  res.end();
}

/** Never answers: the provider hangs. The connection is destroyed when the fake closes. */
export function hang(): FakeHandler {
  return () => new Promise<void>(() => {});
}
