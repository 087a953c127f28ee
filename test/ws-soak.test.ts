import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { root } from './helpers/platform.ts';

describe('the WebSocket soak script', () => {
  it('keeps one connection for its whole duration, every answer received (a few seconds here; an hour by hand)', () => {
    const result = spawnSync(process.execPath, ['scripts/ws-soak.ts', '--duration', '4', '--interval', '0.25', '--ping-interval', '200'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const summary = result.stdout.match(/(\d+)\/(\d+) answers .* 0 errors, 0 lost, (\d+) server pings, connection stayed open: PASS/);
    expect(summary).not.toBeNull();
    const [, answered, sent, pings] = summary ?? [];
    expect(Number(answered)).toBe(Number(sent));
    expect(Number(sent)).toBeGreaterThanOrEqual(12);
    expect(Number(pings)).toBeGreaterThanOrEqual(10);
  });
});
