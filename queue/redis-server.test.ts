import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisClient } from './connection.ts';
import { startRedisServer } from './redis-server.ts';
import { isAlive, waitUntil } from '../test/helpers/processes.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-redis-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('startRedisServer', () => {
  it('serves on a free loopback port with AOF persistence in its directory, and stops', async () => {
    const dir = tempDir();
    const server = await startRedisServer({ dir });
    expect(server.port).not.toBe(6379);
    const client = createRedisClient(server.url);
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    client.disconnect();
    expect(existsSync(join(dir, 'appendonlydir'))).toBe(true);
    await server.stop();
    expect(await waitUntil(() => !isAlive(server.pid))).toBe(true);

    // The data survives a restart from the same directory.
    const again = await startRedisServer({ dir });
    const second = createRedisClient(again.url);
    expect(await second.get('k')).toBe('v');
    second.disconnect();
    await again.stop();
  });

  it('leaves no orphan when its parent is killed with SIGKILL', async () => {
    const dir = tempDir();
    const parent = spawn(process.execPath, [join(import.meta.dirname, '../test/helpers/hold-redis.ts'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    const { pid } = JSON.parse(line) as { pid: number };
    expect(isAlive(pid)).toBe(true);
    parent.kill('SIGKILL');
    expect(await waitUntil(() => !isAlive(pid))).toBe(true);
    // And the next start in the same directory is not blocked.
    const next = await startRedisServer({ dir });
    await next.stop();
  });

  it('explains a missing binary', async () => {
    await expect(startRedisServer({ dir: tempDir(), binary: '/nonexistent/redis-server' })).rejects.toThrow(
      /redis-server \(\/nonexistent\/redis-server\) exited with code 127 before it was ready/,
    );
  });
});
