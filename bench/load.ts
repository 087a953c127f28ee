import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
}

export interface LoadResult {
  /** Milliseconds, sorted. */
  latencies: number[];
  errors: number;
  /** Requests completed per second over the run. */
  achievedRate: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 512 });

/** One POST; resolves with its status once the whole body has arrived. */
export function post(target: Target, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(target.url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...target.headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One request after another, each timed from its start. */
export async function sequential(target: Target, body: string, count: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  for (let i = 0; i < count; i += 1) {
    const t = performance.now();
    const status = await post(target, body).catch(() => 0);
    latencies.push(performance.now() - t);
    if (status !== 200) errors += 1;
  }
  return { latencies: latencies.sort((a, b) => a - b), errors, achievedRate: count / ((performance.now() - started) / 1000) };
}

/**
 * Open-loop load at a fixed rate: requests start on schedule whether or not earlier ones have
 * answered, and each is timed from when it was due, so a server that falls behind cannot hide it
 * (no coordinated omission).
 */
export async function atRate(target: Target, body: string, rate: number, durationMs: number): Promise<LoadResult> {
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  const latencies: number[] = [];
  let errors = 0;
  const pending: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i += 1) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait);
    pending.push(
      post(target, body).then(
        (status) => {
          latencies.push(performance.now() - due);
          if (status !== 200) errors += 1;
        },
        () => {
          errors += 1;
        },
      ),
    );
  }
  await Promise.all(pending);
  return { latencies: latencies.sort((a, b) => a - b), errors, achievedRate: total / ((performance.now() - started) / 1000) };
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
