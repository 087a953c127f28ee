import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { root } from './helpers/platform.ts';

const start = (env: Record<string, string>) =>
  spawnSync(process.execPath, ['platform/main.ts'], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });

describe('starting with invalid configuration', () => {
  it('stops with one line per problem, naming the variable and what is expected, and no stack trace', () => {
    const result = start({ PORT: 'eighty', REDIS_URL: 'localhost', ROLES: 'worker,chef', JWT_SECRET: 'hunter2' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        'Invalid configuration; nothing was started:',
        '  PORT: expected an integer from 1 to 65535 (got "eighty")',
        '  REDIS_URL: expected a redis:// or rediss:// URL, for example redis://127.0.0.1:6379 (got "localhost")',
        '  JWT_SECRET: expected at least 32 characters (HS256 needs a 256-bit key); unset it to have one generated',
        '  ROLES: expected a comma-separated list of worker, http, telegram, discord, slack or all (got "worker,chef")',
        '',
      ].join('\n'),
    );
  });

  it('explains a port that is already taken', async () => {
    const { createServer } = await import('node:net');
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-port-'));
    const result = start({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    server.close();
    rmSync(dataDir, { recursive: true, force: true });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`Could not start the platform: port ${port} on 127.0.0.1 is already in use; set PORT to a free port.\n`);
  });
});
