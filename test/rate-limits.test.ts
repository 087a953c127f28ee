import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';
import { useTestRedis } from './helpers/redis.ts';

const redis = useTestRedis();

/** Starts a hammering process; resolves once it is connected, with a `go` that starts it and its result. */
function hammer(args: (string | number)[]): Promise<{ go: () => Promise<{ admitted: number; refused: number }> }> {
  return new Promise((ready, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'helpers/hammer-buckets.ts'), ...args.map(String)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    const done = new Promise<{ admitted: number; refused: number }>((resolve) => {
      child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(output.replace('ready\n', ''))) : reject(new Error(`hammer exited with ${code}`))));
    });
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output === 'ready\n') ready({ go: () => (child.stdin.end('go\n'), done) });
    });
  });
}

describe('rate limits across processes', () => {
  it('admit within 1% of the limit when 4 processes hammer one user at once', async () => {
    const limit = 1000;
    const periodMs = 600_000; // refills 1.7 a second: a few seconds of test add well under 1%
    const processes = 4;
    const attemptsEach = 1000;
    const hammers = await Promise.all(Array.from({ length: processes }, () => hammer([redis.url, '{usr_hammered}:requests', limit, periodMs, attemptsEach, 25])));
    const started = performance.now();
    const results = await Promise.all(hammers.map((h) => h.go()));
    const seconds = (performance.now() - started) / 1000;
    const admitted = results.reduce((sum, r) => sum + r.admitted, 0);
    const refused = results.reduce((sum, r) => sum + r.refused, 0);
    const refilled = (seconds * limit * 1000) / periodMs;
    console.log(
      `rate limits: ${processes} processes, ${processes * attemptsEach} attempts in ${seconds.toFixed(2)} s against a limit of ${limit}: ` +
        `${admitted} admitted (${(((admitted - limit) / limit) * 100).toFixed(2)}% off; at most ${refilled.toFixed(1)} refilled meanwhile), ${refused} refused; ` +
        `per process ${results.map((r) => r.admitted).join(', ')}`,
    );
    expect(admitted + refused).toBe(processes * attemptsEach);
    expect(admitted).toBeGreaterThanOrEqual(limit);
    expect(admitted).toBeLessThanOrEqual(limit + Math.ceil(refilled));
    expect(Math.abs(admitted - limit) / limit).toBeLessThanOrEqual(0.01);
    // Every process got a share: they really raced.
    for (const r of results) expect(r.admitted).toBeGreaterThan(0);
  }, 60_000);
});

describe('rate limits over HTTP', () => {
  let platform: PlatformProcess;
  beforeAll(async () => {
    platform = await startPlatformProcess({ RATE_LIMIT_USER_RPM: '2', RATE_LIMIT_USER_TPM: '100000' });
  }, 60_000);
  afterAll(async () => {
    await platform?.stop();
  });

  const ask = (token: string, extra: object = {}) =>
    fetch(`${platform.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ model: 'offline', messages: [{ role: 'user', content: 'hi' }], ...extra }),
    });

  it('answers with OpenAI\'s x-ratelimit headers, then 429 with Retry-After, streams included; admins have their own limits', async () => {
    const token = platform.token('limited');
    const first = await ask(token);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+ms|[\d.]+s)$/);
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('100000');
    expect(Number(first.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(100_000);
    expect((await ask(token)).status).toBe(200);

    const refused = await ask(token);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(30);
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const body = (await refused.json()) as { error: { code: string; type: string; message: string } };
    expect(body.error).toMatchObject({ code: 'rate_limited', type: 'rate_limit_error' });
    expect(body.error.message).toMatch(/limit of 2 requests per minute\. Please try again in \d+ s\./);

    // A stream refused before its first token is a plain 429, not an event stream.
    const stream = await ask(token, { stream: true });
    expect(stream.status).toBe(429);
    expect(stream.headers.get('content-type')).toMatch(/^application\/json/);
    expect(stream.headers.get('retry-after')).not.toBeNull();
    expect(((await stream.json()) as { error: { code: string } }).error.code).toBe('rate_limited');

    const admin = platform.token('boss', '--role', 'admin');
    for (let i = 0; i < 3; i += 1) {
      const answer = await ask(admin);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-ratelimit-limit-requests')).toBeNull();
    }
  });
});
