// Checks the invariant "a job accepted is answered exactly once, across worker crashes, Redis restarts and
// platform retries" end to end: real platform processes (one Telegram adapter, N workers) on a private
// redis-server with AOF, a fake Telegram and a fake OpenAI, while workers are killed with SIGKILL and
// replaced, and Redis is stopped and started again once. Counted from what the fake Telegram shows:
//
//   npm run chaos                                       # 1000 jobs, 3 workers, a kill about every 2 s
//   npm run chaos -- --jobs 150 --kill-every-ms 1500 --seed 7
//   npm run chaos -- --seed 7 --verbose --logs /tmp/chaos-logs   # a failed run's logs, and where they went
//
// Exit code 0 only when every job was answered and none twice.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, startRedisServer, type RedisServer } from '../queue/redis-server.ts';
import { chunk, completion, sentText, startFakeOpenAI, streamChunks, withEmbeddings, type SentMessages } from '../test/fakes/fake-openai.ts';
import { sendJson } from '../test/fakes/fake-server.ts';
import { startFakeTelegram, type FakeTelegram } from '../test/fakes/fake-telegram.ts';
import { childPids, isAlive } from '../test/helpers/processes.ts';
import { startPlatformProcess, type PlatformProcess } from './lib/platform-process.ts';

const usage = `Usage: node scripts/chaos.ts [options]   (or: npm run chaos -- [options])

Sends --jobs Telegram messages "Job #<n>" to a real platform (one telegram process, --workers worker
processes, a private redis-server with AOF, fake Telegram and OpenAI), SIGKILLs a random worker about
every --kill-every-ms and starts a replacement, and restarts Redis once midway. Then counts, from the fake
Telegram's chats, the jobs answered ("Answer #<n>."), answered twice, and never answered.

Options:
  --jobs <n>               messages to send (default 1000)
  --workers <n>            worker processes kept running (default 3)
  --chats <n>              private chats the messages are spread over (default 50)
  --push-seconds <s>       time over which the messages are sent (default: 15 s per 1000 jobs, at least 5)
  --kill-every-ms <ms>     mean time between worker kills, randomised ±50% (default 2000)
  --kills <n>              kills at least (default: push time / kill interval, at least 2)
  --redis-restart-at <f>   restart Redis once this fraction of the jobs is sent; 0 for never (default 0.5)
  --settle-seconds <s>     after the chaos, give up once nothing new is answered for this long (default 60)
  --seed <n>               seed of the kill schedule and model delays (default: random, printed)
  --verbose                on failure, print every platform process's log and the Redis state of the failed jobs
  --logs <dir>             write every platform process's log to <dir>
  --help                   this text

Exit code: 0 when sent = answered and duplicates = 0; 1 otherwise; 2 for bad options.
`;

// ---- options -------------------------------------------------------------------------------------

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        jobs: { type: 'string' },
        workers: { type: 'string' },
        chats: { type: 'string' },
        'push-seconds': { type: 'string' },
        'kill-every-ms': { type: 'string' },
        kills: { type: 'string' },
        'redis-restart-at': { type: 'string' },
        'settle-seconds': { type: 'string' },
        seed: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        logs: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  const number = (name: keyof typeof values, fallback: number, { integer = true, min = 1, max = Number.MAX_SAFE_INTEGER } = {}) => {
    const given = values[name];
    if (given === undefined) return fallback;
    const value = Number(given);
    if (typeof given !== 'string' || given.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      fail(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}, not ${JSON.stringify(given)}`);
    }
    return value;
  };
  const jobs = number('jobs', 1000);
  const pushSeconds = number('push-seconds', Math.max(5, (jobs * 15) / 1000), { integer: false, min: 0 });
  const killEveryMs = number('kill-every-ms', 2000, { min: 100 });
  return {
    jobs,
    workers: number('workers', 3),
    chats: number('chats', 50),
    pushSeconds,
    killEveryMs,
    kills: number('kills', Math.max(2, Math.round((pushSeconds * 1000) / killEveryMs)), { min: 0 }),
    redisRestartAt: number('redis-restart-at', 0.5, { integer: false, min: 0, max: 1 }),
    settleSeconds: number('settle-seconds', 60, { integer: false, min: 1 }),
    seed: number('seed', 1 + Math.floor(Math.random() * 2 ** 31), { min: 0, max: 2 ** 32 - 1 }),
    verbose: values.verbose === true,
    logs: values.logs,
  };
}

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${usage}`);
  process.exit(2);
}

const opts = options();

// ---- small tools ---------------------------------------------------------------------------------

/** mulberry32: a tiny seeded PRNG, so a run's kill schedule can be replayed. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
// Separate streams: how many model calls were made does not shift the kill schedule.
const chaosRandom = prng(opts.seed);
const modelRandom = prng(opts.seed ^ 0x9e3779b9);

const startedAt = Date.now();
const elapsed = () => ((Date.now() - startedAt) / 1000).toFixed(1);
const say = (text: string) => process.stderr.write(`[chaos ${elapsed().padStart(6)} s] ${text}\n`);
const events: string[] = [];
const note = (text: string) => {
  events.push(`${elapsed()} s  ${text}`);
  say(text);
};

// ---- the pieces ----------------------------------------------------------------------------------

interface Running {
  name: string;
  process: PlatformProcess;
  /** The platform's own pid (the child of the bootstrap process). */
  pid: number | undefined;
  killed: boolean;
}

const tempDir = mkdtempSync(join(tmpdir(), 'gw-chaos-'));
const dataDir = join(tempDir, 'data');
const redisDir = join(tempDir, 'redis');
mkdirSync(dataDir, { recursive: true });

let redis: RedisServer | undefined;
let redisPort = 0;
let telegram: FakeTelegram | undefined;
let openai: Awaited<ReturnType<typeof startFakeOpenAI>> | undefined;
const started: Running[] = [];
const workers: Running[] = [];
let workerCount = 0;
let kills = 0;
let redisRestarts = 0;
let stopping = false;
const replacements = new Set<Promise<void>>();

/** Model calls per job number (a worker killed mid-answer asks again: more than one is expected). */
const modelCalls = new Map<number, number>();
/** Job numbers in the order the model was asked for them. */
const modelCallOrder: number[] = [];
/** When each job was sent, and when the model was asked for it (ms since the start). */
const sentAt = new Map<number, number>();
const modelCallTimes = new Map<number, number[]>();

const modelHandler = withEmbeddings(async (request, response) => {
  const body = (request.body ?? {}) as { messages?: SentMessages; stream?: boolean };
  const lastUser = body.messages?.findLast((message) => message.role === 'user');
  const n = /Job #(\d+)/.exec(sentText(lastUser))?.[1];
  const text = n ? `Answer #${n}.` : 'OK.';
  if (n) {
    modelCalls.set(Number(n), (modelCalls.get(Number(n)) ?? 0) + 1);
    modelCallOrder.push(Number(n));
    modelCallTimes.set(Number(n), [...(modelCallTimes.get(Number(n)) ?? []), Date.now() - startedAt]);
  }
  // Slow enough that jobs are in flight when a worker is killed.
  await sleep(50 + Math.floor(modelRandom() * 351));
  const usage = { prompt_tokens: 10, completion_tokens: 3 };
  if (!body.stream) return sendJson(response, 200, completion({ content: text, usage }));
  // The whole answer in one content chunk.
  await streamChunks(response, [chunk({ role: 'assistant', content: text }), chunk({}, { finishReason: 'stop' }), chunk(null, { usage })]);
});

const sharedEnv = () => ({
  REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  DATA_DIR: dataDir,
  JWT_SECRET: 'chaos-test-secret-0123456789abcdefghijklmnopqrstuvwxyz',
  OPENAI_API_KEY: 'sk-chaos-upstream-key-12345678',
  OPENAI_BASE_URL: openai!.baseURL,
  ACCESS_MODE: 'open',
  CHAT_EDIT_INTERVAL_MS: '200',
  TELEGRAM_POLL_TIMEOUT_SECONDS: '1',
  JOB_LOCK_SECONDS: '2',
  SHUTDOWN_TIMEOUT_SECONDS: '2',
  LOG_LEVEL: 'info',
});

async function startProcess(name: string, env: Record<string, string>): Promise<Running> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const platform = await startPlatformProcess({ ...sharedEnv(), ...env });
      const running: Running = { name, process: platform, pid: childPids(platform.child.pid!)[0], killed: false };
      started.push(running);
      return running;
    } catch (error) {
      if (stopping || attempt >= 5) throw error;
      say(`${name} did not start (attempt ${attempt}): ${(error as Error).message.split('\n')[0]}; trying again`);
      await sleep(1000);
    }
  }
}

async function startWorker(): Promise<void> {
  const name = `worker-${(workerCount += 1)}`;
  const worker = await startProcess(name, { ROLES: 'worker' });
  if (stopping) return;
  workers.push(worker);
  say(`${name} running (pid ${worker.pid})`);
}

function replaceWorker() {
  const replacement: Promise<void> = startWorker()
    .catch((error: unknown) => {
      say(`a replacement worker could not be started: ${(error as Error).message.split('\n')[0]}`);
    })
    .finally(() => {
      replacements.delete(replacement);
    });
  replacements.add(replacement);
}

/** SIGKILLs a random worker's platform process (a crash: no shutdown, no lock released) and starts another. */
function killOne() {
  const candidates = workers.filter((worker) => worker.pid !== undefined && isAlive(worker.pid));
  if (candidates.length === 0) {
    say('no running worker to kill this time');
    return;
  }
  const victim = candidates[Math.floor(chaosRandom() * candidates.length)]!;
  process.kill(victim.pid!, 'SIGKILL');
  victim.killed = true;
  workers.splice(workers.indexOf(victim), 1);
  kills += 1;
  note(`killed ${victim.name} (pid ${victim.pid}) with SIGKILL; kill ${kills}`);
  replaceWorker();
}

async function restartRedis() {
  note('stopping Redis');
  await redis!.stop();
  await sleep(1000);
  redis = await startRedisServer({ dir: redisDir, port: redisPort, appendOnly: true });
  redisRestarts += 1;
  note(`Redis running again on port ${redisPort} (AOF replayed)`);
}

// ---- measuring -----------------------------------------------------------------------------------

const chatOf = (n: number) => 1000 + (n % opts.chats);
const answerPattern = /Answer #(\d+)\./g;

interface Tally {
  answered: number;
  /** Bot messages showing each job's answer. */
  shown: Map<number, number>;
  /** sendMessage calls carrying each job's answer. */
  sends: Map<number, number>;
  duplicated: number[];
  duplicates: number;
  lost: number[];
  /** Bot messages with no job's answer in them (error notes and the like). */
  other: string[];
  /** Chats whose answers appear out of the order their messages were sent in, with the order shown. */
  outOfOrder: { chat: number; shown: number[] }[];
  /** Chats whose jobs reached the model (first time each) out of the order they were sent in. */
  processedOutOfOrder: { chat: number; asked: number[] }[];
}

function tally(sent: number): Tally {
  const shown = new Map<number, number>();
  const sends = new Map<number, number>();
  const other: string[] = [];
  const outOfOrder: Tally['outOfOrder'] = [];
  const processedOutOfOrder: Tally['processedOutOfOrder'] = [];
  const increasing = (numbers: number[]) => numbers.every((n, index) => index === 0 || n > numbers[index - 1]!);
  const chats = new Set<number>();
  for (let n = 1; n <= sent; n += 1) chats.add(chatOf(n));
  for (const chat of chats) {
    const order: number[] = [];
    for (const message of telegram!.messages(chat)) {
      const numbers = [...message.visible.matchAll(answerPattern)].map((match) => Number(match[1]));
      if (numbers.length === 0) other.push(`chat ${chat}: ${message.visible.slice(0, 120)}`);
      for (const n of numbers) {
        shown.set(n, (shown.get(n) ?? 0) + 1);
        order.push(n);
      }
    }
    if (!increasing(order)) outOfOrder.push({ chat, shown: order });
    const asked = [...new Set(modelCallOrder.filter((n) => chatOf(n) === chat))];
    if (!increasing(asked)) processedOutOfOrder.push({ chat, asked });
  }
  for (const call of telegram!.calls('sendMessage')) {
    for (const match of String(call.text ?? '').matchAll(answerPattern)) sends.set(Number(match[1]), (sends.get(Number(match[1])) ?? 0) + 1);
  }
  const lost: number[] = [];
  const duplicated: number[] = [];
  let duplicates = 0;
  for (let n = 1; n <= sent; n += 1) {
    if (!shown.has(n)) lost.push(n);
    const extra = Math.max((shown.get(n) ?? 0) - 1, (sends.get(n) ?? 0) - 1, 0);
    if (extra > 0) duplicated.push(n);
    duplicates += extra;
  }
  // An answer to a job never sent would be a duplicate too (of something else's).
  for (const [n, count] of shown) {
    if (n >= 1 && n <= sent) continue;
    duplicated.push(n);
    duplicates += count;
  }
  return { answered: sent - lost.length, shown, sends, duplicated, duplicates, lost, other, outOfOrder, processedOutOfOrder };
}

/** What Redis holds about a job: the inbound job, its checkpoints, its outbound reply and delivery records. */
async function redisState(n: number, updateId: number): Promise<string> {
  const client = new Redis(`redis://127.0.0.1:${redisPort}`, { maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => {});
  try {
    await client.connect();
    const jobId = `telegram-${telegram!.bot.id}-${updateId}`;
    const lines = [`#${n} (chat ${chatOf(n)}, job ${jobId}, model calls ${modelCalls.get(n) ?? 0}):`];
    for (const queue of ['inbound', 'outbound-telegram']) {
      const hash = await client.hgetall(`bull:${queue}:${jobId}`);
      // Everything but the payload: attempts (atm), starts (ats), stalls (stc), times, the failure.
      const pick = Object.fromEntries(Object.entries(hash).filter(([key]) => !['data', 'opts', 'returnvalue', 'stacktrace'].includes(key)));
      const states: string[] = [];
      for (const set of ['completed', 'failed', 'delayed', 'prioritized']) if ((await client.zscore(`bull:${queue}:${set}`, jobId)) !== null) states.push(set);
      for (const list of ['wait', 'active', 'paused']) if ((await client.lpos(`bull:${queue}:${list}`, jobId)) !== null) states.push(list);
      const shown = JSON.stringify(pick);
      lines.push(`  ${queue}: ${Object.keys(hash).length ? `${states.join(',') || 'in no state list'} ${shown.length > 400 ? `${shown.slice(0, 400)}…` : shown}` : 'absent'}`);
    }
    lines.push(`  checkpoints: ${JSON.stringify(Object.keys(await client.hgetall(`gw:ckpt:{${jobId}}`)))}`);
    lines.push(`  delivery records: ${JSON.stringify(await client.hgetall(`gw:dlv:{${jobId}}`))}`);
    lines.push(`  order of telegram-${chatOf(n)}: ${JSON.stringify(await client.zrange(`gw:order:{telegram-${chatOf(n)}}`, '0', '5'))}`);
    return lines.join('\n');
  } catch (error) {
    return `#${n}: Redis could not be read: ${(error as Error).message}`;
  } finally {
    client.disconnect();
  }
}

/** One job's story as the fakes saw it: sent, model calls, and the Telegram calls carrying its answer. */
function timeline(n: number): string {
  const at = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const pattern = new RegExp(`Answer #${n}\\.`);
  const calls = telegram!.requests
    .filter((request) => /\/(sendMessage|editMessageText)$/.test(request.url) && pattern.test(String((request.body as { text?: unknown } | undefined)?.text ?? '')))
    .map((request) => `${request.url.endsWith('sendMessage') ? 'sendMessage' : 'edit'} ${at(request.at - startedAt)}`);
  return `#${n}: sent ${at(sentAt.get(n) ?? NaN)}; model asked ${(modelCallTimes.get(n) ?? []).map(at).join(', ') || 'never'}; ${calls.join(', ') || 'nothing posted'}`;
}

// ---- cleanup -------------------------------------------------------------------------------------

/** Our direct children that are bootstraps of a platform process, with their own children: anything a failed start left. */
function strayPids(): number[] {
  const pids: number[] = [];
  let children: number[] = [];
  try {
    children = childPids(process.pid);
  } catch {
    return pids;
  }
  for (const pid of children) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes('scripts/bootstrap.mjs')) continue;
    try {
      pids.push(...childPids(pid));
    } catch {
      // Gone already.
    }
    pids.push(pid);
  }
  return pids;
}

function killNow(pids: number[]) {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  return (cleaning ??= (async () => {
    stopping = true;
    await Promise.race([Promise.allSettled([...replacements]), sleep(35_000)]);
    // A platform process is asked to stop; one that takes too long is killed.
    await Promise.all(
      started.map(async ({ process: platform, pid }) => {
        const stopped = platform.stop().catch(() => null);
        const timer = setTimeout(() => killNow([...(pid === undefined ? [] : [pid]), ...(platform.child.pid === undefined ? [] : [platform.child.pid])]), 8000);
        await stopped;
        clearTimeout(timer);
      }),
    );
    killNow(strayPids());
    await redis?.stop().catch(() => {});
    await telegram?.close().catch(() => {});
    await openai?.close().catch(() => {});
    rmSync(tempDir, { recursive: true, force: true });
  })());
}

/**
 * A guard outside this process, as queue/redis-server.ts keeps for Redis: when this process dies, however
 * it dies (an out-of-memory abort, SIGKILL), the guard's pipe closes and it kills every process running
 * with this run's DATA_DIR, which only our platform processes (and their bootstraps) have, and removes
 * the run's temporary directory.
 */
function startReaper() {
  const script = 'cat >/dev/null; for p in /proc/[0-9]*; do grep -qzxF "DATA_DIR=$0" "$p/environ" 2>/dev/null && kill -KILL "${p#/proc/}" 2>/dev/null; done; rm -rf "$1"';
  const reaper = spawn('/bin/sh', ['-c', script, dataDir, tempDir], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  reaper.on('error', () => {});
  reaper.unref();
  (reaper.stdin as unknown as { unref?: () => void } | null)?.unref?.();
}
startReaper();

// Whatever else happens, no platform process outlives us.
process.on('exit', () => {
  killNow([...started.flatMap(({ pid, process: platform }) => [pid, platform.child.pid]).filter((pid) => pid !== undefined), ...strayPids()]);
  rmSync(tempDir, { recursive: true, force: true });
});
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: stopping everything`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---- the run -------------------------------------------------------------------------------------

async function run(): Promise<number> {
  say(
    `seed ${opts.seed}: ${opts.jobs} jobs over ${opts.chats} chats in ${opts.pushSeconds} s, ${opts.workers} workers, ` +
      `a kill about every ${opts.killEveryMs} ms (${opts.kills} at least), ${opts.redisRestartAt > 0 ? `Redis restarted at ${opts.redisRestartAt * 100}% sent` : 'no Redis restart'}`,
  );
  redisPort = await freePort();
  redis = await startRedisServer({ dir: redisDir, port: redisPort, appendOnly: true });
  openai = await startFakeOpenAI(modelHandler);
  telegram = await startFakeTelegram({ token: '777:chaos-bot-token', username: 'chaos_bot' });
  const adapter = await startProcess('telegram', { ROLES: 'telegram', TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot });
  say(`telegram adapter running (pid ${adapter.pid})`);
  await Promise.all(Array.from({ length: opts.workers }, () => startWorker()));

  const chaosStartedAt = Date.now();
  const updateIds = new Map<number, number>();
  let pushed = 0;
  let restart: Promise<void> | undefined;
  const restartAfter = opts.redisRestartAt > 0 ? Math.max(1, Math.ceil(opts.redisRestartAt * opts.jobs)) : Infinity;

  const pushing = (async () => {
    const gapMs = (opts.pushSeconds * 1000) / opts.jobs;
    for (let n = 1; n <= opts.jobs && !stopping; n += 1) {
      const due = chaosStartedAt + (n - 1) * gapMs;
      if (due > Date.now()) await sleep(due - Date.now());
      updateIds.set(n, telegram!.pushText(`Job #${n}`, { userId: chatOf(n) }));
      sentAt.set(n, Date.now() - startedAt);
      pushed = n;
      if (n === restartAfter) restart = restartRedis();
      // Its failure is the run's, reported when the chaos is over.
      restart?.catch(() => {});
    }
    note(`all ${pushed} jobs sent`);
  })();

  const chaos = (async () => {
    while (!stopping && !(pushed >= opts.jobs && kills >= opts.kills)) {
      await sleep(opts.killEveryMs * (0.5 + chaosRandom()));
      if (stopping || (pushed >= opts.jobs && kills >= opts.kills)) break;
      killOne();
    }
  })();

  let lastReport = Date.now();
  const progress = () => {
    if (Date.now() - lastReport < 5000) return;
    lastReport = Date.now();
    say(`sent ${pushed}/${opts.jobs}, answered ${tally(pushed).answered}, kills ${kills}, workers ${workers.length}`);
    if (opts.verbose) say(`heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB, Telegram calls ${telegram!.requests.length}, model calls ${openai!.requests.length}`);
  };
  while (!stopping && !(pushed >= opts.jobs && kills >= opts.kills)) {
    await sleep(500);
    progress();
  }
  await pushing;
  await chaos;
  await restart;
  await Promise.all([...replacements]);
  note(`chaos over: ${kills} kills, ${redisRestarts} Redis restart${redisRestarts === 1 ? '' : 's'}; waiting for the answers`);

  // Every job answered (then a few seconds more for a late duplicate), or nothing new for settle-seconds.
  let answered = tally(pushed).answered;
  let lastProgressAt = Date.now();
  while (answered < pushed && Date.now() - lastProgressAt < opts.settleSeconds * 1000) {
    await sleep(500);
    const now = tally(pushed).answered;
    if (now > answered) lastProgressAt = Date.now();
    answered = now;
    progress();
  }
  if (answered === pushed) await sleep(5000);
  else note(`nothing new answered for ${opts.settleSeconds} s; counting`);

  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  const result = tally(pushed);
  const ok = result.duplicates === 0 && result.lost.length === 0 && pushed === opts.jobs;
  // Shown out of order is reported, not failed on: the invariant under test is exactly once.
  const investigate = !ok || result.outOfOrder.length > 0 || result.processedOutOfOrder.length > 0;
  const calls = [...modelCalls.values()];
  const lines = [
    `chaos: ${opts.jobs} jobs, ${opts.workers} workers, ${kills} kills, ${redisRestarts} Redis restart${redisRestarts === 1 ? '' : 's'}, ${seconds} s (seed ${opts.seed})`,
    `sent ${pushed}  answered ${result.answered}  duplicates ${result.duplicates}  lost ${result.lost.length}`,
    `model calls ${calls.reduce((sum, count) => sum + count, 0)} (${calls.filter((count) => count > 1).length} jobs asked more than once), ` +
      `other bot messages ${result.other.length}, chats with answers shown out of order ${result.outOfOrder.length}, ` +
      `chats with jobs run out of order ${result.processedOutOfOrder.length}`,
  ];
  const few = (numbers: number[]) => `${numbers.slice(0, 10).map((n) => `#${n}`).join(', ')}${numbers.length > 10 ? `, … (${numbers.length} in all)` : ''}`;
  if (result.lost.length) lines.push(`lost: ${few(result.lost)}`);
  if (result.duplicated.length) {
    lines.push(`duplicated: ${result.duplicated.slice(0, 10).map((n) => `#${n} (${result.shown.get(n) ?? 0} messages, ${result.sends.get(n) ?? 0} sendMessage)`).join(', ')}`);
  }
  if (result.other.length) lines.push(`other bot messages, first few:\n  ${result.other.slice(0, 5).join('\n  ')}`);
  const sequence = (numbers: number[]) => numbers.map((n) => `#${n}`).join(' ');
  for (const { chat, shown } of result.outOfOrder.slice(0, 5)) lines.push(`answers shown out of order in chat ${chat}: ${sequence(shown)}`);
  for (const { chat, asked } of result.processedOutOfOrder.slice(0, 5)) lines.push(`jobs run out of order in chat ${chat} (first model call of each): ${sequence(asked)}`);
  lines.push(ok ? 'PASS' : 'FAIL');
  process.stdout.write(`${lines.join('\n')}\n`);

  if (opts.logs) {
    mkdirSync(opts.logs, { recursive: true });
    for (const { name, process: platform } of started) writeFileSync(join(opts.logs, `${name}.log`), platform.output());
    writeFileSync(join(opts.logs, 'events.log'), `started at ${new Date(startedAt).toISOString()} (${startedAt} ms)\n${events.join('\n')}\n`);
    say(`logs written to ${opts.logs}`);
  }
  if (investigate && opts.verbose) {
    const failed = [...result.lost.slice(0, 10), ...result.duplicated.slice(0, 10)];
    const states: string[] = [];
    for (const n of failed) states.push(await redisState(n, updateIds.get(n) ?? -1));
    process.stderr.write(`\n---- events (from ${new Date(startedAt).toISOString()}, ${startedAt} ms)\n${events.join('\n')}\n`);
    process.stderr.write(`\n---- Redis state of the failed jobs\n${states.join('\n')}\n`);
    const stories = [...failed, ...result.outOfOrder.slice(0, 5).flatMap(({ shown }) => shown)].map(timeline);
    process.stderr.write(`\n---- timelines (failed jobs, then the jobs of chats shown out of order)\n${stories.join('\n')}\n`);
    if (!ok) {
      for (const { name, process: platform, pid, killed } of started) {
        process.stderr.write(`\n---- ${name} (pid ${pid}${killed ? ', killed' : ''})\n${platform.output()}\n`);
      }
    }
  }
  return ok ? 0 : 1;
}

let code = 1;
try {
  code = await run();
} catch (error) {
  process.stderr.write(`chaos: the run could not complete: ${(error as Error).stack ?? String(error)}\n`);
  if (opts.verbose) for (const { name, process: platform } of started) process.stderr.write(`\n---- ${name}\n${platform.output()}\n`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
