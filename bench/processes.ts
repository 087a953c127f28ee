import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../queue/redis-server.ts';
import { startPlatformProcess, type PlatformProcess } from '../scripts/lib/platform-process.ts';

const here = import.meta.dirname;

/** Resident memory of a process, in MiB. */
export function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return line ? Number(line[1]) / 1024 : Number.NaN;
}

/** CPU time a process has used so far (user + system), in ms. */
export function cpuMs(pid: number, which: 'user' | 'system' | 'both' = 'both'): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const [user, system] = [Number(fields[11]), Number(fields[12])];
  return ((which === 'user' ? user : which === 'system' ? system : user + system) * 1000) / 100;
}

/** Waits for a child to print a line matching `pattern`. */
function waitFor(child: ChildProcess, pattern: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${output}`)), 30_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = output.match(pattern);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(match[0]);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}:\n${output}`)));
  });
}

export async function startUpstream(latencyMs: number, firstTokenMs: number, tokenMs: number, tokens: number) {
  const child = spawn(process.execPath, [join(here, 'upstream.ts'), String(latencyMs), String(firstTokenMs), String(tokenMs), String(tokens)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { port } = JSON.parse(await waitFor(child, /\{"port":\d+\}/, 'the fake upstream')) as { port: number };
  return { origin: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, stop: () => child.kill() };
}

/** bench/thin-gateway.ts: the queue and two HTTP hops, nothing else; a floor under the platform's figures. */
export async function startThinGateway(upstreamOrigin: string) {
  const child = spawn(process.execPath, [join(here, 'thin-gateway.ts'), upstreamOrigin], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { port } = JSON.parse(await waitFor(child, /\{"port":\d+\}/, 'the thin gateway')) as { port: number };
  return { origin: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, stop: () => child.kill() };
}

/** The platform as `npm start` runs it, every role in one process; `pid` is its Node process, not bootstrap's. */
export async function startPlatform(upstreamOrigin: string, env: Record<string, string> = {}): Promise<PlatformProcess & { pid: number }> {
  const platform = await startPlatformProcess({
    OPENAI_API_KEY: 'sk-bench-0123456789',
    OPENAI_BASE_URL: `${upstreamOrigin}/v1`,
    LOG_LEVEL: 'warn',
    // Limits on, high enough never to refuse: every request pays for its checks, as in production.
    RATE_LIMIT_USER_RPM: '1000000000',
    RATE_LIMIT_USER_TPM: '1000000000',
    ...env,
  });
  const children = readFileSync(`/proc/${platform.child.pid}/task/${platform.child.pid}/children`, 'utf8').trim().split(/\s+/);
  return Object.assign(platform, { pid: Number(children[0]) });
}

/** Portkey's open-source gateway from npm, as its docs start it. */
export async function startPortkey() {
  const port = await freePort();
  const child = spawn(process.execPath, [join(here, 'node_modules/@portkey-ai/gateway/build/start-server.js'), `--port=${port}`, '--headless'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  child.stderr?.resume();
  await waitFor(child, /Ready for connections/, 'Portkey');
  return { origin: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, stop: () => child.kill() };
}
