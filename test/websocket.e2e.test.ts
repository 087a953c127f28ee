import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { chunk } from './fakes/fake-openai.ts';
import { startFakeOpenAI } from './fakes/fake-openai.ts';
import type { FakeServer } from './fakes/fake-server.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';
import { waitUntil } from './helpers/processes.ts';

/**
 * /v1/ws with a plain `ws` client against the running platform. The fake provider streams each word
 * of the prompt back, one every `delay` ms, and remembers when a connection was closed on it.
 */
let upstream: FakeServer & { baseURL: string };
let platform: PlatformProcess;
let token: string;
let upstreamClosed: number[] = [];
let delay = 20;

beforeAll(async () => {
  upstream = await startFakeOpenAI(async (req, res) => {
    const prompt = (req.body as { messages: { content: string }[] }).messages.at(-1)?.content ?? '';
    let finished = false;
    res.on('close', () => finished || upstreamClosed.push(Date.now()));
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const word of prompt.split(' ')) {
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify(chunk({ content: `${word} ` }))}\n\n`);
      await sleep(delay);
    }
    res.write(`data: ${JSON.stringify(chunk({}, { finishReason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 1 } }))}\n\n`);
    res.end('data: [DONE]\n\n');
    finished = true;
  });
  platform = await startPlatformProcess({
    OPENAI_API_KEY: 'sk-upstream-key-12345678',
    OPENAI_BASE_URL: upstream.baseURL,
    WS_PING_INTERVAL_MS: '200',
    WS_RESUME_GRACE_MS: '600',
  });
  token = platform.token('frank');
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  await upstream?.close();
});
beforeEach(() => {
  upstreamClosed = [];
  delay = 20;
});

type Frame = { type: string; id?: string | null; cursor?: string; resume?: string; data?: { choices: { delta: { content?: string } }[] }; error?: { code: string } };

/** A connected socket that records every frame it receives. */
async function connect(options: { auth?: boolean; autoPong?: boolean; as?: string } = {}) {
  const { auth = true, autoPong = true, as = token } = options;
  const socket = new WebSocket(`${platform.url.replace('http', 'ws')}/v1/ws`, {
    headers: auth ? { authorization: `Bearer ${as}` } : {},
    autoPong,
  });
  const frames: Frame[] = [];
  let pings = 0;
  socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as Frame));
  socket.on('ping', () => (pings += 1));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const next = async (match: (frame: Frame) => boolean, timeoutMs = 5000) => {
    expect(await waitUntil(() => frames.some(match), timeoutMs)).toBe(true);
    return frames.find(match) as Frame;
  };
  if (auth) await next((f) => f.type === 'ready');
  return { socket, frames, next, pings: () => pings, send: (frame: object) => socket.send(JSON.stringify(frame)) };
}

const request = (id: string, content: string) => ({ type: 'request', id, body: { model: 'default', messages: [{ role: 'user', content }] } });
const textOf = (frames: Frame[], id: string) =>
  frames.filter((f) => f.type === 'chunk' && f.id === id).map((f) => f.data?.choices[0]?.delta.content ?? '').join('');

describe('/v1/ws', () => {
  it('multiplexes requests on one socket, their chunks interleaved and each answer whole', async () => {
    const ws = await connect();
    ws.send(request('a', 'one two three four five six'));
    ws.send(request('b', 'alpha beta gamma delta epsilon zeta'));
    await ws.next((f) => f.type === 'done' && f.id === 'a');
    await ws.next((f) => f.type === 'done' && f.id === 'b');
    expect(textOf(ws.frames, 'a')).toBe('one two three four five six ');
    expect(textOf(ws.frames, 'b')).toBe('alpha beta gamma delta epsilon zeta ');
    const order = ws.frames.filter((f) => f.type === 'chunk').map((f) => f.id);
    expect(order.indexOf('b')).toBeLessThan(order.lastIndexOf('a'));
    expect(ws.frames.filter((f) => f.type === 'accepted').map((f) => f.id).sort()).toEqual(['a', 'b']);
    ws.socket.close();
  });

  it('authenticates by a first frame, refuses requests before it, and survives bad frames', async () => {
    const ws = await connect({ auth: false });
    ws.send(request('early', 'hi'));
    expect((await ws.next((f) => f.type === 'error' && f.id === 'early')).error?.code).toBe('missing_token');
    ws.socket.send('not json');
    expect((await ws.next((f) => f.type === 'error' && f.id === null)).error?.code).toBe('invalid_request');
    ws.send({ type: 'auth', token });
    await ws.next((f) => f.type === 'ready');
    ws.send({ type: 'request', id: 'bad', body: { model: 'default' } });
    expect(await ws.next((f) => f.type === 'error' && f.id === 'bad')).toMatchObject({ error: { code: 'invalid_request', param: 'messages' } });
    ws.send(request('ok', 'still here'));
    await ws.next((f) => f.type === 'done' && f.id === 'ok');
    ws.send({ type: 'ping' });
    await ws.next((f) => f.type === 'pong');
    ws.socket.close();
  });

  it('closes a socket that presents a bad token', async () => {
    const ws = await connect({ auth: false });
    const closed = new Promise<number>((resolve) => ws.socket.once('close', (code) => resolve(code)));
    ws.send({ type: 'auth', token: 'forged' });
    expect((await ws.next((f) => f.type === 'error')).error?.code).toBe('invalid_token');
    expect(await closed).toBe(4401);
  });

  it('cancels one request on a cancel frame: the provider sees its connection closed', async () => {
    delay = 100;
    const ws = await connect();
    ws.send(request('long', Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ')));
    await ws.next((f) => f.type === 'chunk' && f.id === 'long');
    ws.send({ type: 'cancel', id: 'long' });
    expect((await ws.next((f) => f.type === 'error' && f.id === 'long')).error?.code).toBe('cancelled');
    expect(await waitUntil(() => upstreamClosed.length > 0, 3000)).toBe(true);
    ws.socket.close();
  });

  it('lets a client reconnect and resume an answer after its last cursor, without gaps or repeats', async () => {
    delay = 60;
    const words = Array.from({ length: 20 }, (_, i) => `r${i}`).join(' ');
    // Minted first: minting blocks this process, and an open socket that misses the server's pings
    // (every 200 ms here) meanwhile is dropped.
    const strangerToken = platform.token('mallory');
    const first = await connect();
    first.send(request('q', words));
    const accepted = await first.next((f) => f.type === 'accepted');
    await waitUntil(() => first.frames.filter((f) => f.type === 'chunk').length >= 4);
    first.socket.terminate();
    const seen = first.frames.filter((f) => f.type === 'chunk');
    const cursor = seen.at(-1)?.cursor;

    const second = await connect();
    second.send({ type: 'resume', id: 'q2', token: accepted.resume, after: cursor });
    await second.next((f) => f.type === 'done' && f.id === 'q2');
    expect(textOf(first.frames, 'q') + textOf(second.frames, 'q2')).toBe(`${words} `);
    expect(upstreamClosed).toEqual([]);

    // Another user cannot attach to this answer with its token, nor anyone with a forged one.
    const stranger = await connect({ as: strangerToken });
    stranger.send({ type: 'resume', id: 'x', token: accepted.resume });
    expect((await stranger.next((f) => f.type === 'error' && f.id === 'x')).error?.code).toBe('invalid_request');
    const payload = accepted.resume?.slice(0, accepted.resume.lastIndexOf('.'));
    second.send({ type: 'resume', id: 'y', token: `${payload}.forgedsignature0000000000000000` });
    expect((await second.next((f) => f.type === 'error' && f.id === 'y')).error?.code).toBe('invalid_request');
    second.socket.close();
    stranger.socket.close();
  });

  it('cancels a dropped connection’s requests once the resume grace period has passed', async () => {
    delay = 100;
    const ws = await connect();
    ws.send(request('gone', Array.from({ length: 50 }, (_, i) => `g${i}`).join(' ')));
    await ws.next((f) => f.type === 'chunk');
    const droppedAt = Date.now();
    ws.socket.terminate();
    expect(await waitUntil(() => upstreamClosed.length > 0, 5000)).toBe(true);
    expect((upstreamClosed[0] ?? 0) - droppedAt).toBeGreaterThanOrEqual(550);
  });

  it('keeps an idle connection alive with pings, and drops a peer that stops answering them', async () => {
    const live = await connect();
    await sleep(1500);
    expect(live.socket.readyState).toBe(WebSocket.OPEN);
    expect(live.pings()).toBeGreaterThanOrEqual(5);

    const dead = await connect({ autoPong: false });
    const closed = new Promise<number>((resolve) => dead.socket.once('close', (code) => resolve(code)));
    expect(await closed).toBe(1006);
    live.send(request('after', 'still fine'));
    await live.next((f) => f.type === 'done' && f.id === 'after');
    live.socket.close();
  });
});
