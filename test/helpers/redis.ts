import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startRedisServer, type RedisServer } from '../../queue/redis-server.ts';

/**
 * A private redis-server for one test file, started the way the platform starts its own: a free
 * loopback port, never 6379, gone when the file's tests end.
 */
export function useTestRedis(): { readonly url: string; readonly server: RedisServer } {
  let server: RedisServer | undefined;
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-test-redis-'));
    server = await startRedisServer({ dir, appendOnly: false });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get url() {
      if (!server) throw new Error('the test Redis is not started yet');
      return server.url;
    },
    get server() {
      if (!server) throw new Error('the test Redis is not started yet');
      return server;
    },
  };
}
