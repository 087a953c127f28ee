import { connect } from 'node:net';
import { bodyOf, type Posted } from './fuzz-kit.ts';

/** Raw HTTP over a socket, for the fuzzers: exactly these bytes go out, and the answer is read as it comes. */

export interface Answer extends Posted {
  /** The first line's status after any 1xx interim answers; 0 when none came. */
  status: number;
  /** Interim 1xx statuses seen before it. */
  interim: number[];
  headerText: string;
  /** Whether the server closed the connection within `waitCloseMs` of its answer. */
  closedByServer: boolean;
  /** Bytes after the end of the answer: a second, unsolicited answer, say. */
  extra: string;
  /** Why reading stopped: complete, closed, a socket error, or the deadline. */
  why: string;
  ms: number;
}

/** Where the final (non-1xx) answer starts in what was received, and the 1xx statuses before it. */
function finalAnswer(all: Buffer): { start: number; interim: number[] } {
  const interim: number[] = [];
  let start = 0;
  for (;;) {
    const status = /^HTTP\/1\.[01] (1\d\d)/.exec(all.subarray(start, start + 20).toString());
    const end = all.indexOf('\r\n\r\n', start);
    if (!status || end < 0) return { start, interim };
    interim.push(Number(status[1]));
    start = end + 4;
  }
}

/**
 * Where the final answer's body ends in `all` (by Content-Length, chunked encoding, or no body for
 * HEAD/204/304); undefined while it is incomplete or delimited by the connection's close.
 */
function answerEnd(all: Buffer, head: boolean): number | undefined {
  const { start } = finalAnswer(all);
  const split = all.indexOf('\r\n\r\n', start);
  if (split < 0) return undefined;
  const headerText = all.subarray(start, split).toString();
  if (head || /^HTTP\/1\.[01] (204|304)/.test(headerText)) return split + 4;
  const length = /^content-length:\s*(\d+)/im.exec(headerText);
  if (length) return all.length - split - 4 >= Number(length[1]) ? split + 4 + Number(length[1]) : undefined;
  if (/^transfer-encoding:\s*chunked/im.test(headerText)) {
    const last = all.indexOf('\r\n0\r\n\r\n', split);
    return last < 0 ? undefined : last + 7;
  }
  return undefined;
}

/**
 * One exchange over a fresh socket: `bytes` written at once (then, with `halfClose`, our side ended, as
 * a client that sent less than it declared does), and the answer read until complete. With
 * `waitCloseMs`, it then waits that long for the server to close the socket.
 */
export function exchange(port: number, bytes: Buffer, { head = false, halfClose = false, waitCloseMs = 0, timeoutMs = 10_000 } = {}): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let closedByServer = false;
    let settled = false;
    let answeredAt = 0;
    const finish = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const all = Buffer.concat(received);
      const { start, interim } = finalAnswer(all);
      const split = all.indexOf('\r\n\r\n', start);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(all.subarray(start, start + 20).toString())?.[1] ?? 0);
      const headerText = split < 0 ? all.subarray(start).toString() : all.subarray(start, split).toString();
      const end = answerEnd(all, head) ?? all.length;
      const { text, contentType } = bodyOf(headerText, split < 0 ? Buffer.alloc(0) : all.subarray(split + 4, end));
      const extra = all.subarray(end).toString();
      resolve({ status: split < 0 ? 0 : status, interim, headerText, text, contentType, closedByServer, extra, why, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(`no ${answeredAt ? 'close' : 'answer'} within ${timeoutMs} ms`), timeoutMs);
    const answered = () => {
      if (answeredAt) return;
      answeredAt = Date.now();
      if (!waitCloseMs) return finish('complete');
      setTimeout(() => finish(`not closed within ${waitCloseMs} ms of the answer`), waitCloseMs);
    };
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (answerEnd(Buffer.concat(received), head) !== undefined) answered();
    });
    socket.on('end', () => {
      closedByServer = true;
      finish('closed by the server');
    });
    socket.on('close', () => finish('the connection closed'));
    socket.on('error', (error: Error & { code?: string }) => finish(`${error.code ?? ''} ${error.message}`));
    socket.once('connect', () => {
      socket.write(bytes);
      if (halfClose) socket.end();
    });
  });
}

/** A request as raw bytes. `headers` go out in order, as given; Host is added unless `host` is false. */
export interface RawRequest {
  method: string;
  target: string;
  version?: string;
  headers: [string, string][];
  body?: Buffer;
  /** Sent as is (a broken chunked body, say); no Content-Length is added for it. */
  rawBody?: Buffer;
  host?: boolean;
}
export function encode(port: number, { method, target, version = 'HTTP/1.1', headers, body, rawBody, host = true }: RawRequest): Buffer {
  const lines = [`${method} ${target} ${version}`, ...(host ? [`host: 127.0.0.1:${port}`] : []), ...headers.map(([name, value]) => `${name}: ${value}`)];
  if (body !== undefined) lines.push(`content-length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body ?? rawBody ?? Buffer.alloc(0)]);
}
