import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestRedis } from './helpers/redis.ts';

const redis = useTestRedis();

function hammer(args: (string | number)[]): Promise<{ admitted: number; refused: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'helpers/hammer-buckets.ts'), ...args.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(output)) : reject(new Error(`hammer exited with ${code}`))));
  });
}

describe('rate limits across processes', () => {
  it('admit within 1% of the limit when 4 processes hammer one user at once', async () => {
    const limit = 1000;
    const periodMs = 600_000; // refills 1.7 a second: a few seconds of test add well under 1%
    const processes = 4;
    const attemptsEach = 1000;
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: processes }, () => hammer([redis.url, '{usr_hammered}:requests', limit, periodMs, attemptsEach, 25])),
    );
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
