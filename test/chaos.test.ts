import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from './helpers/platform.ts';

/**
 * The chaos script (npm run chaos) at a small size: every job answered exactly once while workers are
 * SIGKILLed and replaced and Redis is restarted once. 1000 jobs by hand; 150 here.
 */
let child: ChildProcess | undefined;

// Should the test time out, the script is interrupted and cleans up its processes and Redis.
afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
});

function runChaos(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const running = spawn(process.execPath, ['scripts/chaos.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child = running;
    let stdout = '';
    let stderr = '';
    running.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    running.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    running.once('error', reject);
    running.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the chaos script', () => {
  it('answers every job exactly once across worker SIGKILLs and a Redis restart', { timeout: 180_000 }, async () => {
    const { code, stdout, stderr } = await runChaos(['--jobs', '150', '--workers', '3', '--kill-every-ms', '1500', '--seed', '7', '--settle-seconds', '30', '--verbose']);
    // On a failure, --verbose adds the failed jobs' Redis state and timelines, then every process's log:
    // the first part, and the logs' warnings, are what a CI report needs.
    const [story = '', logs = ''] = stderr.split(/\n(?=---- telegram)/);
    // (Connections refused while Redis restarts are expected, and many.)
    const warnings = logs.split('\n').filter((line) => /^---- |"level":(40|50|60)/.test(line) && !line.includes('ECONNREFUSED'));
    const report = `${stdout}\n${story.split('\n').slice(-80).join('\n')}\n${warnings.slice(-60).map((line) => line.slice(0, 400)).join('\n')}`;
    const header = /^chaos: (\d+) jobs, (\d+) workers, (\d+) kills, (\d+) Redis restarts?, ([\d.]+) s/m.exec(stdout);
    const figures = /^sent (\d+)\s+answered (\d+)\s+duplicates (\d+)\s+lost (\d+)$/m.exec(stdout);
    expect(header, report).not.toBeNull();
    expect(figures, report).not.toBeNull();
    const [, jobs, workers, kills, restarts] = header!.map(Number);
    const [, sent, answered, duplicates, lost] = figures!.map(Number);
    expect({ jobs, workers, sent, answered, duplicates, lost }, report).toEqual({ jobs: 150, workers: 3, sent: 150, answered: 150, duplicates: 0, lost: 0 });
    expect(kills, report).toBeGreaterThanOrEqual(2);
    expect(restarts, report).toBe(1);
    expect(code, report).toBe(0);
  });
});
