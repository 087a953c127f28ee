import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../queue/redis-server.ts';

export const root = join(import.meta.dirname, '..', '..');

/**
 * The parent environment without the platform's own settings, so a developer's real provider key or
 * REDIS_URL never reaches a test platform; each test sets what it means to.
 */
function withoutPlatformSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const platform = /^(LLM_|REDIS_URL$|JWT_SECRET$|ROLES$|DATA_DIR$|PORT$|HOST$)|_(API_KEY|BASE_URL|INSTANT_MODEL|THINKING_MODEL|EMBEDDING_MODEL)$/;
  return Object.fromEntries(Object.entries(env).filter(([name]) => !platform.test(name)));
}

export interface PlatformProcess {
  url: string;
  dataDir: string;
  child: ChildProcess;
  /** Everything the process wrote, stdout and stderr. */
  output(): string;
  /** A bearer token from `npm run token`, minted with this platform's DATA_DIR. */
  token(user: string, ...flags: string[]): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts the platform as `npm start` does (scripts/bootstrap.mjs start), on a free port and a fresh
 * DATA_DIR, and resolves once it prints that it is running.
 */
export async function startPlatformProcess(env: Record<string, string> = {}): Promise<PlatformProcess> {
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'gw-e2e-'));
  const port = env.PORT ?? String(await freePort());
  const childEnv: NodeJS.ProcessEnv = { ...withoutPlatformSettings(process.env), DATA_DIR: dataDir, PORT: port, LOG_LEVEL: 'info', ...env };
  const child = spawn(process.execPath, ['scripts/bootstrap.mjs', 'start'], { cwd: root, env: childEnv });
  const chunks: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const output = () => chunks.join('');

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the platform did not start in time:\n${output()}`)), 30_000);
    const check = () => {
      if (output().includes('chat-gateway is running.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the platform exited with ${code}:\n${output()}`));
    });
  });
  child.removeAllListeners('exit');

  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    child,
    output,
    token(user, ...flags) {
      const result = spawnSync(process.execPath, ['scripts/token.ts', '--user', user, ...flags], {
        cwd: root,
        env: { ...process.env, DATA_DIR: dataDir, ...(env.JWT_SECRET ? { JWT_SECRET: env.JWT_SECRET } : {}) },
        encoding: 'utf8',
      });
      if (result.status !== 0) throw new Error(`npm run token failed: ${result.stderr}`);
      return result.stdout.trim();
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      const code = await exited;
      if (!env.DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
