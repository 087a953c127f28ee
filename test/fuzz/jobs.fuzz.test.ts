import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, type Job } from 'bullmq';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundJobSchema, type InboundJob } from '../../core/contracts/job.ts';
import { mintJobToken } from '../../core/identity/tokens.ts';
import { inboundQueueName } from '../../queue/names.ts';
import { startFakeOpenAI, streamedAnswer, withEmbeddings } from '../fakes/fake-openai.ts';
import type { FakeServer } from '../fakes/fake-server.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/fake-telegram.ts';
import { startPlatformProcess, type PlatformProcess } from '../helpers/platform.ts';
import { childPids, waitUntil } from '../helpers/processes.ts';
import { useTestRedis } from '../helpers/redis.ts';

/**
 * The named attack, fuzzed against the running platform: jobs put straight into the inbound queue by
 * something that is not an adapter (anything with Redis access), without a valid identity token. Raw
 * BullMQ jobs carry fast-check's payloads: arbitrary values, a genuine Telegram job with its token
 * forged, absent, expired, unsigned or taken from another job or platform, with fields of the wrong type
 * or huge, and the genuine job itself copied under a new queue id. None may reach Telegram; each is
 * audited as refused, on its first attempt; the platform neither crashes nor grows, and still answers
 * a real Telegram message, once.
 *
 * Reproduce a run with FUZZ_SEED=<the seed it prints>.
 */

const jwtSecret = 'fuzz-jwt-secret-'.padEnd(48, 'k');
const jwtKey = new TextEncoder().encode(jwtSecret);
const otherKey = new TextEncoder().encode('not-the-platform-key-'.padEnd(48, 'x'));
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;

const redis = useTestRedis();
let upstream: FakeServer & { baseURL: string };
let telegram: FakeTelegram;
let platform: PlatformProcess;
let queue: Queue;
let admin: string;

beforeAll(async () => {
  upstream = await startFakeOpenAI(withEmbeddings(streamedAnswer('Hello!')));
  telegram = await startFakeTelegram();
  platform = await startPlatformProcess({
    REDIS_URL: redis.url,
    JWT_SECRET: jwtSecret,
    OPENAI_API_KEY: 'sk-upstream-key-12345678',
    OPENAI_BASE_URL: upstream.baseURL,
    OPENAI_INSTANT_MODEL: 'fake-instant',
    OPENAI_THINKING_MODEL: 'fake-thinker',
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_POLL_TIMEOUT_SECONDS: '1',
    CHAT_EDIT_INTERVAL_MS: '200',
    ACCESS_MODE: 'open',
    ADMIN_USERS: 'http:fuzz-admin',
    LOG_LEVEL: 'warn',
  });
  admin = platform.token('fuzz-admin');
  queue = new Queue(inboundQueueName, { connection: { host: '127.0.0.1', port: redis.server.port } });
  queue.on('error', () => {});
}, 60_000);
afterAll(async () => {
  await queue?.close();
  await platform?.stop();
  await telegram?.close();
  await upstream?.close();
});

const api = (path: string) => fetch(`${platform.url}${path}`, { headers: { authorization: `Bearer ${admin}` } });

/** The platform's own process (under the bootstrap): its resident set, in MiB. */
function rssMiB() {
  const pid = childPids(platform.child.pid!)[0] ?? platform.child.pid!;
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  return Math.round(Number(line?.[1] ?? 0) / 1024);
}

/** Telegram Bot API calls other than the long poll: anything the bot sends or does in a chat. */
const sends = () => telegram.requests.filter((request) => !/\/(getUpdates|getMe|deleteWebhook|setMyCommands|setWebhook)$/.test(request.url));

/** Every audit record of chat jobs, read through the HTTP API as an admin, page by page. */
async function chatAudit() {
  const records: { id: string; actorId: string | null; outcome: string; detail: Record<string, unknown> }[] = [];
  let before: number | null = null;
  do {
    const response = await api(`/v1/audit?action=chat.completion&limit=1000${before ? `&before=${before}` : ''}`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { data: typeof records; nextBefore: number | null };
    records.push(...page.data);
    before = page.nextBefore;
  } while (before);
  return records;
}

/** Sends a real Telegram message from a new private chat and waits for the bot's answer in it. */
async function askOverTelegram(chat: number, text: string) {
  telegram.pushText(text, { userId: chat });
  const answered = await waitUntil(() => telegram.messages(chat).some((message) => message.visible === 'Hello!'), 20_000);
  if (!answered) throw new Error(`chat ${chat} got no answer:\n${platform.output().slice(-3000)}`);
  await sleep(800); // anything sent twice arrives within this
  return telegram.messages(chat);
}

// ---------- what the fuzzer sends ----------

/** One job to inject: its payload, and the queue id it goes under. */
type Sample = { kind: string; data: unknown; id: string };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A compact JWS with any header and claims, signed with `key` (or not at all). */
function jws(header: unknown, claims: unknown, key?: Uint8Array) {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${key ? createHmac('sha256', key).update(input).digest('base64url') : ''}`;
}
const now = () => Math.floor(Date.now() / 1000);
const claimsFor = (jobId: string, overrides: Record<string, unknown> = {}) => ({ platform: 'telegram', iss: 'chat-gateway', aud: 'chat-gateway:job', sub: '7001', jti: jobId, iat: now(), exp: now() + 600, ...overrides });

/** Tokens that must not let a job in, for the job with id `jobId` whose genuine sibling carries `genuine`. */
const badToken = (genuine: InboundJob) =>
  fc.oneof(
    fc.constant(() => undefined), // absent
    fc.constant(() => ''),
    fc.string({ maxLength: 300 }).map((text) => () => text),
    fc.string({ minLength: 4097, maxLength: 6000 }).map((text) => () => text),
    fc.constant((jobId: string) => mintJobToken(otherKey, jobId, { platform: 'telegram', externalId: '7001' })), // forged: another key
    fc.constant((jobId: string) => jws({ alg: 'none', typ: 'JWT' }, claimsFor(jobId))), // unsigned
    fc.constant((jobId: string) => jws({ alg: 'HS512', typ: 'JWT' }, claimsFor(jobId), jwtKey)),
    fc.constant((jobId: string) => mintJobToken(jwtKey, jobId, { platform: 'telegram', externalId: '7001' }, { expiresInSeconds: -120 })), // expired
    fc.constant((jobId: string) => jws({ alg: 'HS256', typ: 'JWT' }, claimsFor(jobId, { aud: 'chat-gateway:api' }), jwtKey)), // an API token's audience
    fc.constant((jobId: string) => jws({ alg: 'HS256', typ: 'JWT' }, claimsFor(jobId, { nbf: now() + 3600 }), jwtKey)),
    fc.constant((jobId: string) => jws({ alg: 'HS256', typ: 'JWT' }, claimsFor(jobId, { exp: undefined }), jwtKey)),
    fc.constant((jobId: string) => jws({ alg: 'HS256', typ: 'JWT', crit: ['x'] }, claimsFor(jobId), jwtKey)),
    fc.constant(() => genuine.identityToken), // another job's
    fc.constant((jobId: string) => `${mintJobToken(jwtKey, jobId, { platform: 'telegram', externalId: '7001' }).slice(0, -3)}AAA`), // signature tampered
    fc.constantFrom('slack', 'discord', 'http').map((platform) => (jobId: string) => mintJobToken(jwtKey, jobId, { platform, externalId: '7001' })), // another platform's
  );

const hugeString = fc.tuple(fc.string({ minLength: 1, maxLength: 4 }), fc.integer({ min: 5_000, max: 400_000 })).map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)));
const anyValue = fc.oneof(
  fc.anything({ maxDepth: 3, maxKeys: 5 }),
  hugeString,
  fc.constantFrom(null, -1, 0, 1e308, true, '', [], {}, '__proto__', 'telegram', 'http'),
);
const paths: (string | number)[][] = [
  ['v'], ['requestId'], ['source'], ['source', 'platform'], ['source', 'eventId'], ['source', 'receivedAt'], ['source', 'direct'], ['source', 'handle'],
  ['conversationId'], ['workspace'], ['replyTo'], ['replyTo', 'adapter'], ['replyTo', 'address'], ['replyTo', 'chat'], ['replyTo', 'chat', 'id'], ['replyTo', 'chat', 'messageId'],
  ['capabilities'], ['capabilities', 'maxMessageLength'], ['capabilities', 'formatting'], ['input'], ['input', 'messages'], ['input', 'messages', 0],
  ['input', 'messages', 0, 'role'], ['input', 'messages', 0, 'content'], ['input', 'attachments'], ['request'], ['request', 'model'], ['request', 'temperature'],
  ['request', 'tools'], ['request', 'stream'], ['identityToken'],
];

function setPath(target: Record<string, unknown>, path: (string | number)[], value: unknown) {
  let node: Record<string | number, unknown> = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    node = (node[part] = typeof next === 'object' && next !== null ? structuredClone(next) : {}) as Record<string | number, unknown>;
  }
  const last = path.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

/** The genuine job made another: a new id (its queue id), and whatever the mutation does. */
const fresh = (genuine: InboundJob, id: string) => ({ ...structuredClone(genuine), id, source: { ...genuine.source, eventId: id }, requestId: `req-${id}` });

function samples(genuine: InboundJob, count: number, seed: number): Sample[] {
  const arbitrary: fc.Arbitrary<(id: string) => Sample> = fc.oneof(
    // Anything at all.
    { weight: 3, arbitrary: fc.anything({ maxDepth: 4 }).filter((value) => value !== undefined).map((data) => (id: string) => ({ kind: 'anything', data, id })) },
    // A genuine-looking job whose token does not let it in, with or without other fields broken.
    {
      weight: 5,
      arbitrary: fc.tuple(badToken(genuine), fc.array(fc.tuple(fc.constantFrom(...paths.filter((p) => p[0] !== 'identityToken')), anyValue), { maxLength: 2 })).map(([token, mutations]) => (id: string) => {
        const data = fresh(genuine, id) as Record<string, unknown>;
        setPath(data, ['identityToken'], token(id));
        for (const [path, value] of mutations) setPath(data, path, value);
        return { kind: mutations.length ? 'bad token, fields broken' : 'bad token', data, id };
      }),
    },
    // A job with a valid token for its id, made invalid by wrong types or huge strings.
    {
      weight: 4,
      arbitrary: fc.array(fc.tuple(fc.constantFrom(...paths), fc.oneof(anyValue, fc.constant(undefined))), { minLength: 1, maxLength: 3 }).map((mutations) => (id: string) => {
        const data = fresh(genuine, id) as Record<string, unknown>;
        setPath(data, ['identityToken'], mintJobToken(jwtKey, id, { platform: 'telegram', externalId: '7001' }));
        for (const [path, value] of mutations) setPath(data, path, value);
        return { kind: 'valid token, fields broken', data, id };
      }),
    },
    // The captured genuine job, byte for byte, under a new queue id: its token is valid for another hour.
    { weight: 1, arbitrary: fc.constant((id: string) => ({ kind: 'genuine job copied', data: genuine, id })) },
    // A copy that also claims the new id, keeping the genuine token (bound to the old one).
    { weight: 1, arbitrary: fc.constant((id: string) => ({ kind: 'genuine job renamed', data: { ...genuine, id, requestId: `req-${id}` }, id })) },
    // The genuine job under a queue id of any shape: long, unicode, punctuation (BullMQ refuses ':' and integers).
    {
      weight: 1,
      arbitrary: fc
        .string({ unit: fc.oneof(fc.constantFrom('a', '-', '.', ' ', '/', '{', '}', '"', '\\'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 400 })
        .filter((odd) => !odd.includes(':') && !/^\d+$/.test(odd))
        .map((odd) => (id: string) => ({ kind: 'genuine job, odd queue id', data: genuine, id: `${id}${odd}` })),
    },
    // Huge payloads: more messages than allowed, each long.
    { weight: 1, arbitrary: fc.integer({ min: 2_001, max: 3_000 }).map((n) => (id: string) => ({ kind: 'huge', data: { ...fresh(genuine, id), input: { messages: Array.from({ length: n }, () => ({ role: 'user', content: 'x'.repeat(1000) })) } }, id })) },
  );
  return fc
    .sample(arbitrary, { numRuns: count, seed })
    .map((make, index) => make(`telegram-fuzz-${seed}-${index}`))
    .filter((sample) => !madeGenuine(sample));
}

/**
 * Whether a mutation of a job with a valid token left it valid (an optional field dropped, say): then the
 * fuzzer, which holds the platform's key, made a genuine job, which no attacker can. Left out.
 */
function madeGenuine(sample: Sample) {
  if (sample.kind !== 'valid token, fields broken') return false;
  const parsed = inboundJobSchema.safeParse(sample.data);
  return parsed.success && parsed.data.id === sample.id && parsed.data.source.platform === 'telegram' && parsed.data.replyTo.adapter === 'telegram';
}

/** Adds the jobs straight to the inbound queue, as anything with Redis access could, and waits until none is left waiting or running. */
async function inject(attack: Sample[]): Promise<(Job | undefined)[]> {
  for (let i = 0; i < attack.length; i += 40) {
    await Promise.all(attack.slice(i, i + 40).map(({ data, id }) => queue.add('message', data, { jobId: id, attempts: 3, backoff: { type: 'fixed', delay: 100 } })));
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const states = await Promise.all(attack.map(({ id }) => queue.getJobState(id)));
    // Read once finished: a job read earlier is a snapshot of it running.
    if (states.every((state) => state === 'failed' || state === 'completed')) return Promise.all(attack.map(({ id }) => queue.getJob(id)));
    if (Date.now() > deadline) throw new Error(`jobs still pending: ${attack.filter((_, i) => states[i] !== 'failed').map(({ id, kind }) => `${kind} ${id}`).slice(0, 5).join(', ')}\n${platform.output().slice(-2000)}`);
    await sleep(200);
  }
}

describe('jobs injected into Redis without a valid identity token', () => {
  it('are never answered, each is audited as refused, and the platform still answers a real message once', async () => {
    const started = Date.now();
    // A genuine Telegram job, as the adapter queued it: the template every mutation starts from.
    const first = await askOverTelegram(7001, 'a genuine question');
    expect(first).toHaveLength(1);
    const completed = (await queue.getJobs(['completed'])).filter((job) => (job.data as InboundJob).source?.platform === 'telegram');
    expect(completed).toHaveLength(1);
    const genuine = inboundJobSchema.parse(completed[0]!.data);
    expect(completed[0]!.id).toBe(genuine.id);

    const sendsBefore = sends().length;
    const rss = [rssMiB()];
    const attacks: Sample[] = [];
    // Rounds of the same size: memory a round takes must be given back, not grow round after round.
    for (let round = 0; round < Number(process.env.FUZZ_ROUNDS ?? 3); round += 1) {
      const attack = samples(genuine, Number(process.env.FUZZ_JOBS ?? 200), seed + round);
      attacks.push(...attack);
      const kinds = Object.entries(Object.groupBy(attack, (sample) => sample.kind)).map(([kind, list]) => `${list?.length} ${kind}`);
      console.log(`jobs fuzz: seed ${seed + round}, ${attack.length} jobs: ${kinds.join(', ')}`);

      const jobs = await inject(attack);
      rss.push(rssMiB());
      // Every one failed for good, on its first attempt, as invalid or unauthenticated.
      for (const [index, job] of jobs.entries()) {
        const sample = attack[index]!;
        const label = `${sample.kind} ${sample.id}: ${JSON.stringify(sample.data)?.slice(0, 300)}`;
        expect(await job?.getState(), label).toBe('failed');
        expect({ attempts: job?.attemptsMade, reason: job?.failedReason }, label).toMatchObject({ attempts: 1 });
        expect(job?.failedReason, label).toMatch(/^job_(invalid|unauthenticated): /);
      }
      const codes = new Map(jobs.map((job) => [job!.id, job!.failedReason.split(':')[0]]));

      // Nothing reached Telegram.
      await sleep(300);
      expect(sends().slice(sendsBefore).map((request) => request.url)).toEqual([]);

      // Each is audited as refused, with no actor, under its queue id, with the code it failed with.
      const records = await chatAudit();
      const byJob = new Map(records.map((record) => [record.detail.jobId, record]));
      for (const { kind, id } of attack) {
        // Queue ids are recorded cut to 100 characters.
        const cut = /[\uD800-\uDBFF]/.test(id[99] ?? '') ? 99 : 100;
        const recorded = id.length > 100 ? `${id.slice(0, cut)}…` : id;
        expect(byJob.get(recorded), `${kind} ${id}`).toMatchObject({ actorId: null, outcome: 'refused', detail: { errorCode: codes.get(id) } });
      }
      // Bounded: no payload in the trail.
      for (const record of records) expect(JSON.stringify(record.detail).length).toBeLessThan(1000);
    }

    // No token, genuine or not, is in the audit trail or the logs.
    const stored = JSON.stringify(await chatAudit()) + platform.output();
    expect(stored).not.toContain(genuine.identityToken);
    for (const sample of attacks) {
      const token = (sample.data as { identityToken?: unknown } | null)?.identityToken;
      if (typeof token === 'string' && token.length >= 40) expect(stored).not.toContain(token);
    }

    // Still healthy, still answering: a real message is answered, exactly once.
    expect((await fetch(`${platform.url}/health`)).status).toBeLessThan(500);
    expect(platform.child.exitCode).toBeNull();
    const after = await askOverTelegram(7002, 'still there?');
    expect(after.map((message) => message.visible)).toEqual(['Hello!']);
    expect(sends().slice(sendsBefore).filter((request) => request.url.endsWith('/sendMessage'))).toHaveLength(1);
    rss.push(rssMiB());
    console.log(`jobs fuzz: platform RSS ${rss[0]} MiB before, ${rss.slice(1, -1).join(', ')} MiB after each round, ${rss.at(-1)} MiB at the end; ${Date.now() - started} ms`);
    // Bounded: the first round may grow the heap to what such payloads need; later ones must not add as much again.
    expect(rss[1]!).toBeLessThan(rss[0]! + 320);
    expect(rss[3]!).toBeLessThan(rss[1]! + 128);
    expect(platform.output()).not.toMatch(/"level":(50|60)|uncaught|unhandled/i);
  }, 120_000);
});
