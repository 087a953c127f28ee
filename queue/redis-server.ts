import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RedisServerOptions {
  /** Where the append-only file and the pid file live. */
  dir: string;
  /** Default: `redis-server` on PATH. */
  binary?: string;
  /** Default: a free loopback port. */
  port?: number;
  /** Append-only persistence, so accepted jobs survive a restart. Default: true. */
  appendOnly?: boolean;
  /** Default: 10 000 ms. */
  startTimeoutMs?: number;
}

export interface RedisServer {
  url: string;
  port: number;
  /** The redis-server process id. */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Runs redis-server under a small shell guard that holds our end of a pipe: when this process exits,
 * however it exits (even SIGKILL), the pipe closes and the guard stops Redis, so no orphan outlives us.
 * The server runs in its own process group, so Ctrl-C reaches only us and we shut down in order.
 */
const guard = 'exec 3<&0; "$0" "$@" </dev/null & r=$!; { cat <&3 >/dev/null; kill -TERM $r 2>/dev/null; } & wait $r';

export async function startRedisServer(options: RedisServerOptions): Promise<RedisServer> {
  const { dir, binary = 'redis-server', appendOnly = true, startTimeoutMs = 10_000 } = options;
  mkdirSync(dir, { recursive: true });
  const pidFile = join(dir, 'redis.pid');
  await stopLeftover(pidFile);

  const port = options.port ?? (await freePort());
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--protected-mode', 'yes',
    '--dir', dir,
    '--pidfile', pidFile,
    '--appendonly', appendOnly ? 'yes' : 'no',
    '--appendfsync', 'everysec',
    '--save', '',
    '--daemonize', 'no',
    '--loglevel', 'notice',
  ];
  const child = spawn('/bin/sh', ['-c', guard, binary, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(chunk.toString());
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  await waitForReady(child, output, startTimeoutMs, binary);
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  child.stdout?.off('data', collect);
  child.stderr?.off('data', collect);
  child.stdout?.resume();
  child.stderr?.resume();
  // The guard's pipe must not keep our event loop alive; it exists to be closed by our exit.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin?.end();
      const timer = setTimeout(() => killGroup(child), 10_000);
      await exited;
      clearTimeout(timer);
    })());

  return { url: `redis://127.0.0.1:${port}`, port, pid, stop };
}

function waitForReady(child: ChildProcess, output: string[], timeoutMs: number, binary: string) {
  return new Promise<void>((resolve, reject) => {
    const fail = (reason: string) => {
      cleanup();
      killGroup(child);
      const log = output.join('').trim().split('\n').slice(-5).join('\n');
      reject(new Error(`${reason}${log ? `\n${log}` : ''}`));
    };
    const onData = () => {
      if (/Ready to accept connections/.test(output.join(''))) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null) => fail(`redis-server (${binary}) exited with code ${code} before it was ready`);
    const onError = (error: Error) => fail(`could not start ${binary}: ${error.message}`);
    const timer = setTimeout(() => fail(`redis-server was not ready within ${timeoutMs} ms`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

function killGroup(child: ChildProcess) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** A redis-server left by a run that could not clean up holds our AOF; stop it before starting anew. */
async function stopLeftover(pidFile: string) {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isRedisServer(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < 5000 && isRedisServer(pid); waited += 50) await sleep(50);
  if (isRedisServer(pid)) process.kill(pid, 'SIGKILL');
}

function isRedisServer(pid: number) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server');
  } catch {
    return false;
  }
}

/** A port the OS says is free now; Redis binds it a moment later. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
