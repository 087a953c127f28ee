import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const result = parseConfig({});
    expect(result).toEqual({
      ok: true,
      config: {
        port: 8080,
        host: '127.0.0.1',
        dataDir: './data',
        redisUrl: undefined,
        jwtSecret: undefined,
        roles: ['worker', 'http'],
        workerConcurrency: 16,
        logLevel: 'info',
      },
    });
  });

  it('treats empty values as unset', () => {
    const result = parseConfig({ PORT: '', REDIS_URL: '' });
    expect(result.ok && result.config.port).toBe(8080);
    expect(result.ok && result.config.redisUrl).toBeUndefined();
  });

  it('reads set values', () => {
    const result = parseConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      DATA_DIR: '/var/lib/gw',
      REDIS_URL: 'redis://cache:6380/2',
      JWT_SECRET: 'x'.repeat(32),
      ROLES: 'worker',
    });
    expect(result).toMatchObject({
      ok: true,
      config: { port: 9000, host: '0.0.0.0', dataDir: '/var/lib/gw', redisUrl: 'redis://cache:6380/2', roles: ['worker'] },
    });
  });

  it('accepts ROLES=all and deduplicates', () => {
    expect(parseConfig({ ROLES: 'all' })).toMatchObject({ config: { roles: ['worker', 'http'] } });
    expect(parseConfig({ ROLES: 'http, http' })).toMatchObject({ config: { roles: ['http'] } });
  });

  it('reports one line per problem, naming the variable and what is expected', () => {
    const result = parseConfig({ PORT: 'abc', REDIS_URL: 'localhost:6379', ROLES: 'worker,mailer', LOG_LEVEL: 'loud' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      'PORT: expected an integer from 1 to 65535 (got "abc")',
      'REDIS_URL: expected a redis:// or rediss:// URL, for example redis://127.0.0.1:6379 (got "localhost:6379")',
      'ROLES: expected a comma-separated list of worker, http or all (got "worker,mailer")',
      'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ]);
  });

  it('rejects out-of-range ports', () => {
    for (const PORT of ['0', '65536', '80.5', '-1']) {
      const result = parseConfig({ PORT });
      expect(result.ok ? [] : result.problems).toEqual([`PORT: expected an integer from 1 to 65535 (got "${PORT}")`]);
    }
  });

  it('never echoes a secret value', () => {
    const result = parseConfig({ JWT_SECRET: 'short-secret-value' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      'JWT_SECRET: expected at least 32 characters (HS256 needs a 256-bit key); unset it to have one generated',
    ]);
    expect(result.problems.join('\n')).not.toContain('short-secret-value');
  });
});
