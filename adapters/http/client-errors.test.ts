import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { answerClientError } from './client-errors.ts';

/** What a raw client reads back from a server that refuses it before any route runs. */
async function rawExchange(server: Server, request: string): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const socket = connect(port, '127.0.0.1');
  socket.write(request);
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await once(socket, 'close');
  return text;
}

let server: Server | undefined;
afterEach(() => server?.close());

describe('answerClientError', () => {
  it('answers a client too slow to send its request with a 408 in the API error shape', async () => {
    server = createServer({ requestTimeout: 200, connectionsCheckingInterval: 50 }, () => {}).on('clientError', answerClientError);
    const text = await rawExchange(server, 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"mod');
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
    expect(body).toEqual({ error: { message: 'The request was not sent in full within 30 s. (request id: none)', type: 'invalid_request_error', param: null, code: 'request_timeout' } });
  });

  it('answers bytes that are not HTTP with a 400 that says so', async () => {
    server = createServer(() => {}).on('clientError', answerClientError);
    const text = await rawExchange(server, 'HELLO THERE\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toContain('"code":"invalid_request"');
    expect(text).toContain('The request is not well-formed HTTP.');
  });
});
