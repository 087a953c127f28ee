import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { streamedAnswer, startFakeOpenAI } from './fakes/fake-openai.ts';
import type { FakeHandler, FakeServer } from './fakes/fake-server.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';
import { waitUntil } from './helpers/processes.ts';

/** The HTTP edge's own defences, on a running platform: headers, CORS, and each size and time limit. */
let upstream: FakeServer & { baseURL: string };
let platform: PlatformProcess;
let token: string;
const app = 'https://app.example.com';
const quick = streamedAnswer('Hello there.');

beforeAll(async () => {
  upstream = await startFakeOpenAI(quick);
  platform = await startPlatformProcess({
    OPENAI_API_KEY: 'sk-upstream-key-12345678',
    OPENAI_BASE_URL: upstream.baseURL,
    CORS_ORIGINS: app,
    REPLY_TIMEOUT_SECONDS: '2',
    WS_MAX_IN_FLIGHT: '2',
  });
  token = platform.token('hana');
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  await upstream?.close();
});
beforeEach(() => upstream.handle(quick));

const chat = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  fetch(`${platform.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'Hi' }], ...body }),
  });

async function refusal(response: Response) {
  const body = (await response.json()) as { error: { message: string; code: string; param: string | null } };
  return { status: response.status, ...body.error };
}

describe('security headers', () => {
  const apiHeaders = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'cache-control': 'no-store',
  };

  it('come with answers, refusals, unknown routes and streams alike', async () => {
    const responses = [
      await chat({}),
      await chat({ messages: [] }),
      await fetch(`${platform.url}/v1/nothing-here`),
      await fetch(`${platform.url}/v1/models`),
    ];
    for (const response of responses) {
      for (const [name, value] of Object.entries(apiHeaders)) expect([response.url, name, response.headers.get(name)]).toEqual([response.url, name, value]);
    }
    const stream = await chat({ stream: true });
    await stream.text();
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.headers.get('x-content-type-options')).toBe('nosniff');
    expect(stream.headers.get('x-frame-options')).toBe('DENY');
  });

  it('leave the web page its own policy, and give /docs one that allows only its own scripts and no framing', async () => {
    const page = await fetch(`${platform.url}/`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const docs = await fetch(`${platform.url}/docs/static/index.html`);
    expect(docs.status).toBe(200);
    const csp = docs.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toContain('unsafe');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(docs.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('CORS', () => {
  it("answers an allowed origin's preflight, with what its client needs to send", async () => {
    const preflight = await fetch(`${platform.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: app, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-stainless-lang' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(app);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization,content-type,x-stainless-lang');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('lets an allowed origin read answers, streams and their ids, and gives another origin nothing', async () => {
    const allowed = await chat({}, { origin: app });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(app);
    expect(allowed.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    const stream = await chat({ stream: true }, { origin: app });
    await stream.text();
    expect(stream.headers.get('access-control-allow-origin')).toBe(app);

    const other = await chat({}, { origin: 'https://evil.example.net' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const otherPreflight = await fetch(`${platform.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' },
    });
    expect(otherPreflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('limits', () => {
  it('refuses headers over 16 KiB with a 431 in the API error shape', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${platform.url}/v1/models`, { headers: { authorization: `Bearer ${token}`, 'x-padding': 'a'.repeat(20 * 1024) } }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      });
      request.on('error', reject);
      request.end();
    });
    expect(status).toBe(431);
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'headers_too_large', type: 'invalid_request_error', message: expect.stringContaining('at most 16 KiB') } });
  });

  it('names the body limit in its 413', async () => {
    const response = await chat({ messages: [{ role: 'user', content: 'x'.repeat(1100 * 1024) }] });
    expect(await refusal(response)).toMatchObject({ status: 413, code: 'payload_too_large', message: expect.stringContaining('at most 1 MiB') });
  });

  it('refuses a message over 200 000 characters, in one piece or in parts, naming where', async () => {
    expect(await refusal(await chat({ messages: [{ role: 'user', content: 'y'.repeat(200_001) }] }))).toMatchObject({
      status: 400,
      code: 'invalid_request',
      param: 'messages[0].content',
      message: expect.stringContaining('at most 200,000 characters'),
    });
    const parts = Array.from({ length: 3 }, () => ({ type: 'text', text: 'z'.repeat(70_000) }));
    expect(await refusal(await chat({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: parts }] }))).toMatchObject({
      status: 400,
      param: 'messages[1].content',
      message: expect.stringContaining('in all its parts'),
    });
    expect((await chat({ messages: [{ role: 'user', content: 'y'.repeat(200_000) }] })).status).toBe(200);
  });

  it('refuses more than 128 tools, and a stop string the job could not carry', async () => {
    const tool = (index: number) => ({ type: 'function', function: { name: `tool_${index}`, parameters: { type: 'object', properties: {} } } });
    expect(await refusal(await chat({ tools: Array.from({ length: 129 }, (_, index) => tool(index)) }))).toMatchObject({
      status: 400,
      param: 'tools',
      message: expect.stringContaining('at most 128 tools'),
    });
    expect(await refusal(await chat({ stop: ['s'.repeat(201)] }))).toMatchObject({ status: 400, message: expect.stringContaining('at most 200 characters') });
  });

  it('ends a stream that runs past REPLY_TIMEOUT_SECONDS with a timeout error event, and stops the upstream call', async () => {
    let upstreamClosed = false;
    const slow: FakeHandler = (request, response) => {
      response.once('close', () => (upstreamClosed = !response.writableFinished));
      return streamedAnswer('word '.repeat(200), { size: 5, delayMs: 100 })(request, response);
    };
    upstream.handle(slow);
    const started = Date.now();
    const response = await chat({ stream: true });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(Date.now() - started).toBeLessThan(6000);
    expect(text).toContain('"code":"timeout"');
    expect(text).toContain('No complete answer within 2 s.');
    expect(text).not.toContain('[DONE]');
    await waitUntil(() => upstreamClosed, 5000);

    upstreamClosed = false;
    const whole = await chat({});
    expect(await refusal(whole)).toMatchObject({ status: 504, code: 'timeout', message: expect.stringContaining('No complete answer within 2 s.') });
    await waitUntil(() => upstreamClosed, 5000);
  });
});

/**
 * One raw exchange: exactly these bytes are sent (fetch would fix the request up), and the answer is read
 * until the server closes the socket. `closedBy` says whether it did so within `closeWithinMs`.
 */
async function raw(request: string, closeWithinMs = 5000): Promise<{ status: number; headers: string; body: string; closedByServer: boolean }> {
  const { port } = new URL(platform.url);
  const socket = connect(Number(port), '127.0.0.1');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.write(request);
  const closedByServer = await Promise.race([once(socket, 'close').then(() => true), sleep(closeWithinMs).then(() => false)]);
  socket.destroy();
  const split = text.indexOf('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), headers: text.slice(0, split), body: text.slice(split + 4), closedByServer };
}
const errorOf = (body: string) => (JSON.parse(body) as { error: { message: string; code: string; param: string | null } }).error;
const host = () => `host: ${new URL(platform.url).host}`;

describe('requests refused before any route runs, in the API error shape', () => {
  it('answers a WebSocket upgrade sent to a plain route as plain HTTP, then closes the socket', async () => {
    const upgrade = 'connection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==';
    const health = await raw(`GET /health HTTP/1.1\r\n${host()}\r\n${upgrade}\r\n\r\n`);
    expect(health).toMatchObject({ status: 200, closedByServer: true });
    const missing = await raw(`GET /v1/nothing HTTP/1.1\r\n${host()}\r\n${upgrade}\r\n\r\n`);
    expect(missing).toMatchObject({ status: 404, closedByServer: true });
    expect(errorOf(missing.body).code).toBe('not_found');
  });

  it('refuses a malformed upgrade to /v1/ws with the reason, and a plain GET /v1/ws with 426', async () => {
    const keyless = await raw(`GET /v1/ws HTTP/1.1\r\n${host()}\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\n\r\n`);
    expect(keyless).toMatchObject({ status: 400, closedByServer: true });
    expect(errorOf(keyless.body)).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('The WebSocket upgrade was refused: missing or invalid Sec-WebSocket-Key header.') });
    expect(keyless.headers).toMatch(/^x-content-type-options: nosniff$/im);

    const plain = await fetch(`${platform.url}/v1/ws`);
    expect(await refusal(plain)).toMatchObject({ status: 426, code: 'upgrade_required', message: expect.stringContaining('connect with a WebSocket client') });
  });

  it('refuses an Expect other than 100-continue, and an HTTP/1.1 request without Host', async () => {
    const expectation = await raw(`GET /health HTTP/1.1\r\n${host()}\r\nexpect: 200-ok\r\n\r\n`);
    expect(expectation.status).toBe(417);
    expect(errorOf(expectation.body)).toMatchObject({ code: 'expectation_failed', message: expect.stringContaining('100-continue') });
    const hostless = await raw('GET /health HTTP/1.1\r\nconnection: close\r\n\r\n');
    expect(hostless.status).toBe(400);
    expect(errorOf(hostless.body)).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('no Host header') });
  });

  it('refuses a path the router cannot decode or whose segment is too long, and one that climbs out of /docs', async () => {
    const badEscape = await fetch(`${platform.url}/v1/keys/%`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(await refusal(badEscape)).toMatchObject({ status: 400, code: 'invalid_request', message: expect.stringContaining('a "%" must begin an escape') });
    expect(badEscape.headers.get('x-content-type-options')).toBe('nosniff');
    // An id as long as the schemas allow reaches its route; a longer segment is refused as such.
    const longId = await fetch(`${platform.url}/v1/keys/${'k'.repeat(220)}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(longId.status).not.toBe(414);
    const tooLong = await fetch(`${platform.url}/v1/keys/${'k'.repeat(300)}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(await refusal(tooLong)).toMatchObject({ status: 414, code: 'uri_too_long', message: expect.stringContaining('longer than 256 characters') });
    const climb = await raw(`GET /docs/static/%20/%2e%2e/health HTTP/1.1\r\n${host()}\r\nconnection: close\r\n\r\n`);
    expect(climb.status).toBe(404);
    expect(errorOf(climb.body).code).toBe('not_found');
  });
});

describe('refusals name what is wrong', () => {
  it('says a missing field is required', async () => {
    const response = await fetch(`${platform.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ model: 'default' }),
    });
    expect(await refusal(response)).toMatchObject({ status: 400, param: 'messages', message: expect.stringMatching(/^Invalid request body: messages: is required\. \(request id/) });
    const wrongRole = await chat({ messages: [{ role: 'robot', content: 'Hi' }] });
    expect(await refusal(wrongRole)).toMatchObject({ status: 400, message: expect.stringContaining('expected one of "system"') });
  });

  it('says which query parameter is wrong, in words, not "received NaN"', async () => {
    const get = (path: string) => fetch(`${platform.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    for (const path of ['/v1/conversations?limit=abc', '/v1/conversations?limit=1&limit=1', '/v1/conversations/x/messages?limit=5&limit=5']) {
      const refused = await refusal(await get(path));
      expect([path, refused]).toMatchObject([path, { status: 400, param: 'limit', message: expect.stringMatching(/^Invalid query parameter: limit: expected a number\. /) }]);
    }
    expect(await refusal(await get('/v1/conversations?limit=0'))).toMatchObject({ status: 400, message: expect.stringMatching(/^Invalid query parameter: limit: /) });
  });

  it('refuses tool parameters nested past 64 levels as the request is read', async () => {
    const parameters = JSON.parse(`${'{"a":'.repeat(1000)}{}${'}'.repeat(1000)}`) as object;
    const response = await chat({ tools: [{ type: 'function', function: { name: 'deep', parameters } }] });
    expect(await refusal(response)).toMatchObject({ status: 400, param: 'tools[0].function.parameters', message: expect.stringContaining('nested at most 64 levels deep') });
  });
});

describe('WebSocket frames', () => {
  const open = async () => {
    const socket = new WebSocket(`${platform.url.replace('http', 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${token}` } });
    const frames: { type: string; error?: { message: string; param: string | null } }[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as (typeof frames)[number]));
    await once(socket, 'open');
    await waitUntil(() => frames.some((frame) => frame.type === 'ready'), 5000);
    return { socket, frames, closed: once(socket, 'close').then(([code]) => code as number) };
  };

  it('answers a frame missing a field with an error frame naming it', async () => {
    const { socket, frames } = await open();
    socket.send(JSON.stringify({ type: 'request' }));
    await waitUntil(() => frames.some((frame) => frame.type === 'error'), 5000);
    expect(frames.find((frame) => frame.type === 'error')?.error).toMatchObject({ param: 'id', message: expect.stringMatching(/^Unreadable frame: id: is required\./) });
    socket.close();
  });

  it('closes with 1007 on text that is not UTF-8 and 1009 on a frame over the limit, and the server carries on', async () => {
    const broken = await open();
    // ws sends a Buffer as a text frame unchecked; the server checks text is UTF-8, where 0xff never occurs.
    broken.socket.send(Buffer.from([0xff, 0xfe]), { binary: false });
    expect(await broken.closed).toBe(1007);
    const huge = await open();
    huge.socket.send('x'.repeat(1024 * 1024 + 1));
    expect(await huge.closed).toBe(1009);
    const after = await open();
    after.socket.send(JSON.stringify({ type: 'ping' }));
    await waitUntil(() => after.frames.some((frame) => frame.type === 'pong'), 5000);
    after.socket.close();
    expect(platform.output()).not.toMatch(/"level":50[^\n]*websocket/);
  });

  it('runs at most WS_MAX_IN_FLIGHT requests at once on one socket, a burst included, and takes more once they end', async () => {
    upstream.handle(streamedAnswer('A slow answer.', { size: 4, delayMs: 100 }));
    const { socket, frames } = await open();
    const request = (id: string) => JSON.stringify({ type: 'request', id, body: { model: 'default', messages: [{ role: 'user', content: 'Hi' }] } });
    for (const id of ['r1', 'r2', 'r3']) socket.send(request(id));
    const ended = (id: string) => frames.some((frame) => (frame.type === 'done' || frame.type === 'error') && (frame as { id?: string }).id === id);
    await waitUntil(() => ['r1', 'r2', 'r3'].every(ended), 10_000);
    const outcome = (id: string) => frames.find((frame) => (frame.type === 'done' || frame.type === 'error') && (frame as { id?: string }).id === id);
    expect(outcome('r1')?.type).toBe('done');
    expect(outcome('r2')?.type).toBe('done');
    expect(outcome('r3')).toMatchObject({ type: 'error', error: { message: expect.stringContaining('At most 2 requests may run at once on one socket') } });
    socket.send(request('r4'));
    await waitUntil(() => ended('r4'), 10_000);
    expect(outcome('r4')?.type).toBe('done');
    socket.close();
  });

  it('refuses a resume whose cursor is not one it sent, naming the field', async () => {
    const { socket, frames } = await open();
    for (const [index, after] of ['x', '-', '0-', 'NaN', '1-2-3'].entries()) {
      socket.send(JSON.stringify({ type: 'resume', id: `r${index}`, token: 'whatever', after }));
    }
    await waitUntil(() => frames.filter((frame) => frame.type === 'error').length === 5, 5000);
    for (const frame of frames.filter((each) => each.type === 'error')) {
      expect(frame.error).toMatchObject({ param: 'after', message: expect.stringContaining('expected the cursor of a chunk already received') });
    }
    socket.close();
  });
});

describe('one answer per request, then the connection as the client asked', () => {
  it('closes the connection after a stream when the request said Connection: close', async () => {
    const body = JSON.stringify({ model: 'default', stream: true, messages: [{ role: 'user', content: 'Hi' }] });
    const streamed = await raw(
      `POST /v1/chat/completions HTTP/1.1\r\n${host()}\r\nconnection: close\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    expect(streamed).toMatchObject({ status: 200, closedByServer: true });
    expect(streamed.headers).toMatch(/^connection: close$/im);
    expect(streamed.body).toContain('data: [DONE]');
  });

  it('answers an unsupported Expect once, even when the body that follows is broken', async () => {
    const answer = await raw(`GET /health HTTP/1.1\r\n${host()}\r\nexpect: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`);
    expect(answer).toMatchObject({ status: 417, closedByServer: true });
    expect(answer.body.match(/HTTP\/1\.1 /g)).toBeNull();
    expect(errorOf(answer.body).code).toBe('expectation_failed');
  });
});
