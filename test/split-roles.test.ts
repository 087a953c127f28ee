import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestRedis } from './helpers/redis.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';

const redis = useTestRedis();
const dataDir = mkdtempSync(join(tmpdir(), 'gw-split-'));
const running: PlatformProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('roles in separate processes on one Redis', () => {
  it('an http process reports no worker until a worker process joins, then answers through it', async () => {
    const http = await startPlatformProcess({ ROLES: 'http', REDIS_URL: redis.url, DATA_DIR: dataDir });
    running.push(http);
    expect(http.output()).toContain(`Redis:     ${redis.url}`);
    const down = await fetch(`${http.url}/health`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({
      status: 'unavailable',
      checks: { redis: { status: 'ok' }, store: { status: 'ok' }, worker: { status: 'down', detail: 'no worker is listening' } },
    });

    const worker = await startPlatformProcess({ ROLES: 'worker', REDIS_URL: redis.url, DATA_DIR: dataDir });
    running.push(worker);
    expect(worker.output()).not.toContain('URL:');
    // A process without the HTTP adapter still answers probes and scrapes, on its own PORT.
    const probe = /Health: +(http:\S+)\/health/.exec(worker.output())?.[1];
    expect(probe).toBeDefined();
    expect(await (await fetch(`${probe}/health`)).json()).toMatchObject({ status: 'ok', checks: { redis: { status: 'ok' }, store: { status: 'ok' } } });
    expect(await (await fetch(`${probe}/metrics`)).text()).toContain('gateway_queue_jobs{queue="inbound",state="waiting"}');
    const up = await fetch(`${http.url}/health`);
    expect(up.status).toBe(200);

    const client = new OpenAI({ apiKey: http.token('bob'), baseURL: `${http.url}/v1`, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'offline', messages: [{ role: 'user', content: 'split' }] });
    expect(completion.choices[0]?.message.content).toMatch(/You said: "split"$/);
  });
});
