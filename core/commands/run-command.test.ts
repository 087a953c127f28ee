import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { redisCheckpoints } from '../../queue/checkpoints.ts';
import { createRedisClient, type RedisClient } from '../../queue/connection.ts';
import { redisOnceWithin, RedisTokenBuckets } from '../../queue/token-buckets.ts';
import { httpJob, testKey } from '../../test/helpers/jobs.ts';
import { useTestRedis } from '../../test/helpers/redis.ts';
import type { Platform } from '../contracts/job.ts';
import { ModelRegistry } from '../models/registry.ts';
import { createJobRunner, type JobOutcome, type JobRunner } from '../pipeline/run-job.ts';
import { SqliteStore } from '../store/embedded/sqlite-store.ts';

const redis = useTestRedis();
let client: RedisClient;
let store: SqliteStore;
let runJob: JobRunner;
beforeAll(() => {
  client = createRedisClient(redis.url);
});
afterAll(() => client.disconnect());
beforeEach(() => {
  store = new SqliteStore(':memory:');
  const limits = { user: { requestsPerMinute: 1000, tokensPerMinute: undefined }, admin: { requestsPerMinute: undefined, tokensPerMinute: undefined } };
  runJob = createJobRunner({
    store,
    models: new ModelRegistry(),
    jwtKey: testKey,
    log: pino({ level: 'silent' }),
    adminUsers: [{ platform: 'telegram', externalId: 'admin' }],
    rateLimits: { buckets: new RedisTokenBuckets(client), notices: redisOnceWithin(client), limits },
  });
  return () => store.close();
});

let n = 0;
/** One chat message from `platform:user`, through the whole pipeline, as a chat adapter would send it. */
async function say(platform: Platform, user: string, text: string, { direct = true } = {}) {
  const job = await httpJob({ platform, user: `${user}`, text, direct, conversationId: `${platform}-${user}-${(n += 1) % 2}` });
  return runJob(job, { attempt: 1, final: true, checkpoints: redisCheckpoints(client, job.id) });
}
const text = (outcome: JobOutcome) =>
  outcome.kind === 'reply' ? (outcome.reply.status === 'ok' ? outcome.reply.message.content : `error ${outcome.reply.error.code}: ${outcome.reply.error.message}`) : `dropped ${outcome.error.code}`;
const codeIn = (message: string) => /\b([A-Z0-9]{4}-[A-Z0-9]{4})\b/.exec(message)?.[1] ?? '';
const userOf = (platform: Platform, externalId: string) => store.findUser({ platform, externalId });

let seq = 0;
const fresh = () => `p${(seq += 1)}`;

describe('pairing (ACCESS_MODE=pairing, the default)', () => {
  it('gives a new chat user a code once, lets an admin approve it from another platform\'s chat, then answers', async () => {
    const person = fresh();
    const first = text(await say('telegram', person, 'hello?'));
    expect(first).toMatch(/^error pairing_required: .*administrator's approval.*\/pair approve [A-Z0-9]{4}-[A-Z0-9]{4}/);
    const code = codeIn(first);
    // Told once: later messages are recorded, not answered again with the same code.
    expect(text(await say('telegram', person, 'anyone?'))).toBe('dropped pairing_pending');
    expect((await userOf('telegram', person))?.role).toBe('pending');

    // A user who is not an admin cannot approve, and the attempt is audited.
    await store.setRole((await store.resolveUser({ platform: 'slack', externalId: 'plain' }, { role: 'user' })).id, 'user');
    expect(text(await say('slack', 'plain', `/pair approve ${code}`))).toMatch(/^error forbidden: Only an administrator/);
    expect((await store.listAudit()).some((r) => r.action === 'command.pair' && r.outcome === 'refused')).toBe(true);

    expect(text(await say('telegram', 'admin', '/pair'))).toContain(`${code}  telegram:${person}`);
    expect(text(await say('telegram', 'admin', `/pair approve ${code.toLowerCase()}`))).toBe(`Approved: telegram:${person} may now talk to the assistant.`);
    expect((await userOf('telegram', person))?.role).toBe('user');
    expect(text(await say('telegram', person, 'hello again'))).not.toMatch(/^error/);
    // A code is decided once.
    expect(text(await say('telegram', 'admin', `/pair deny ${code}`))).toMatch(/^error invalid_code:/);
  });

  it('blocks a denied user', async () => {
    const person = fresh();
    const code = codeIn(text(await say('discord', person, 'hi')));
    expect(text(await say('telegram', 'admin', `/pair deny ${code}`))).toBe(`Denied: discord:${person} is blocked.`);
    expect(text(await say('discord', person, 'hi'))).toMatch(/^error forbidden: Your access to this assistant has been blocked/);
  });

  it('lets a pending identity join an account its person already has, by /link, without an admin', async () => {
    const person = fresh();
    const approved = await store.resolveUser({ platform: 'slack', externalId: person }, { role: 'user' });
    const issued = text(await say('slack', person, '/link'));
    expect(issued).toMatch(/^Your link code is [A-Z0-9]{4}-[A-Z0-9]{4}, valid until/);
    expect(text(await say('telegram', person, 'hi'))).toMatch(/^error pairing_required/);
    expect(text(await say('telegram', person, `/link ${codeIn(issued)}`))).toMatch(/^Linked\. One account \(usr_\w+, role user\) now has: slack:\S+, telegram:\S+\.$/);
    expect((await userOf('telegram', person))?.id).toBe(approved.id);
    expect(text(await say('telegram', person, 'now?'))).not.toMatch(/^error/);
  });
});

describe('linking identities', () => {
  it('joins two platforms\' users into one by a one-time code: history shared, code used once', async () => {
    const person = fresh();
    const tg = await store.resolveUser({ platform: 'telegram', externalId: person }, { role: 'user' });
    const sl = await store.resolveUser({ platform: 'slack', externalId: person }, { role: 'user' });
    await say('slack', person, 'remember me from slack');
    const code = codeIn(text(await say('telegram', person, '/link')));
    expect(text(await say('slack', person, `/link ${code}`))).toContain(`slack:${person}, telegram:${person}`);
    expect(await store.getUser(sl.id)).toBeUndefined();
    expect((await store.listConversations(tg.id)).map((c) => c.platform)).toContain('slack');
    // The code is spent; a stranger cannot use it again.
    expect(text(await say('discord', fresh(), `/link ${code}`))).toMatch(/^error (invalid_code|pairing_required)/);
    const stranger = fresh();
    await store.resolveUser({ platform: 'discord', externalId: stranger }, { role: 'user' });
    expect(text(await say('discord', stranger, `/link ${code}`))).toMatch(/^error invalid_code: That link code is unknown, used already, or expired/);
    expect((await store.listAudit()).filter((r) => r.action === 'identity.link').map((r) => r.outcome).sort()).toEqual(['ok', 'refused', 'refused']);
  });

  it('shows a link code only in a direct message', async () => {
    const person = fresh();
    await store.resolveUser({ platform: 'telegram', externalId: person }, { role: 'user' });
    expect(text(await say('telegram', person, '/link', { direct: false }))).toMatch(/^error forbidden: A link code is shown only in a direct message/);
    expect(await store.listCodes('link')).toEqual([]);
  });

  it('keeps a block through a link, and lets admins link and unlink anyone', async () => {
    const person = fresh();
    const blocked = await store.resolveUser({ platform: 'discord', externalId: person }, { role: 'blocked' });
    await store.resolveUser({ platform: 'slack', externalId: person }, { role: 'user' });
    expect(text(await say('telegram', 'admin', `/link discord:${person} slack:${person}`))).toMatch(/role blocked\) now has: discord:\S+, slack:\S+\.$/);
    expect(text(await say('slack', person, 'hi'))).toMatch(/^error forbidden/);
    expect(text(await say('telegram', 'admin', `/unlink slack:${person}`))).toMatch(/^Unlinked slack:\S+: it is now an account of its own \(usr_\w+, role pending\)\.$/);
    expect((await userOf('slack', person))?.id).not.toBe(blocked.id);
    expect(text(await say('telegram', 'admin', `/unlink discord:${person}`))).toMatch(/^error invalid_request: .*the only identity/);
  });

  it('answers a wrong argument with the usage, and a user unlinking someone else\'s identity with a refusal', async () => {
    const person = fresh();
    await store.resolveUser({ platform: 'slack', externalId: person }, { role: 'user' });
    expect(text(await say('slack', person, '/link a b c'))).toBe('error invalid_request: Usage: /link (get a code) · /link CODE (confirm it from your other chat) · admins: /link <user> <user>');
    expect(text(await say('telegram', 'admin', '/pair maybe X'))).toMatch(/^error invalid_request: Usage: \/pair.*\(argument 1: /);
    expect(text(await say('slack', person, '/unlink telegram:admin'))).toMatch(/^error forbidden/);
    expect(text(await say('slack', person, '/link nobody:1 slack:x'))).toMatch(/^error forbidden/);
  });
});

describe('conversation commands', () => {
  const conversation = 'telegram-admin-chat';
  /** A message from the admin (ADMIN_USERS), always in one conversation. */
  async function chat(message: string) {
    const job = await httpJob({ platform: 'telegram', user: 'admin', text: message, direct: true, conversationId: conversation });
    return text(await runJob(job, { attempt: 1, final: true, checkpoints: redisCheckpoints(client, job.id) }));
  }

  it('/start greets and /help lists the commands this user may run, with their usage', async () => {
    expect(await chat('/start')).toMatch(/^Hello! I am an AI assistant/);
    const help = await chat('/help');
    for (const name of ['start', 'help', 'new', 'model', 'think', 'usage', 'link', 'unlink', 'pair', 'audit', 'approve', 'deny', 'docs']) expect(help).toContain(`• /${name}`);
    const person = fresh();
    await store.setRole((await store.resolveUser({ platform: 'slack', externalId: person }, { role: 'user' })).id, 'user');
    const theirs = text(await say('slack', person, '/help'));
    for (const name of ['start', 'help', 'new', 'model', 'think', 'usage', 'link', 'unlink', 'docs']) expect(theirs).toContain(`• /${name}`);
    for (const name of ['pair', 'audit', 'approve', 'deny']) expect(theirs).not.toContain(`• /${name}`);
  });

  it('/model shows the choices, switches this chat to a known model, refuses an unknown one, and goes back to the default', async () => {
    expect(await chat('/model')).toBe('This chat uses the default (chosen by tier). Available: default, instant, thinking, offline.');
    expect(await chat('/model thinking')).toBe('This chat now uses thinking.');
    expect(await store.getConversationSettings(conversation)).toMatchObject({ model: 'thinking' });
    expect(await chat('/model gpt-9')).toMatch(/^error model_not_found: .*gpt-9/);
    expect(await chat('/model default')).toBe('This chat uses the default model again.');
    expect(await store.getConversationSettings(conversation)).toEqual({});
  });

  it('/think routes the next message only to the thinking tier; /new starts the history afresh', async () => {
    expect(await chat('/think')).toMatch(/next message goes to the thinking model/);
    expect(await store.getConversationSettings(conversation)).toMatchObject({ thinkNext: true });
    await chat('a hard question');
    expect(await store.getConversationSettings(conversation)).not.toHaveProperty('thinkNext');
    const audit = await store.listAudit({ limit: 50 });
    expect(audit.some((record) => record.detail.tier === 'thinking')).toBe(true);
    expect(await chat('/new')).toBe('Started a fresh conversation: I no longer see what came before.');
    expect((await store.getConversationSettings(conversation)).historyFrom).toMatch(/^\d{4}-/);
  });

  it('/usage counts what the user spent, and admins read anyone\'s or everyone\'s', async () => {
    await chat('count me');
    expect(await chat('/usage')).toMatch(/^Last 24 hours: [1-9]\d* messages, [\d,]+ tokens in, [\d,]+ out, \$0\.00\.\nLast 30 days: /);
    const person = fresh();
    await store.setRole((await store.resolveUser({ platform: 'slack', externalId: person }, { role: 'user' })).id, 'user');
    expect(text(await say('slack', person, 'hello'))).not.toMatch(/^error/);
    expect(text(await say('slack', person, '/usage 7'))).toMatch(/^You, last 7 days: 1 messages, .*\n• offline: 1 messages/);
    // Someone else's usage is for admins; the attempt is audited.
    expect(text(await say('slack', person, '/usage telegram:admin'))).toMatch(/^error forbidden: Only an administrator/);
    expect((await store.listAudit({ action: 'usage.read' }))[0]).toMatchObject({ outcome: 'refused' });
    // A refused request counts too, without a model; a command answered is not a request to a model.
    const theirs = await chat(`/usage slack:${person} 7`);
    expect(theirs).toMatch(new RegExp(`^slack:${person}, last 7 days: 2 messages`));
    expect(theirs).toMatch(/\n• offline: 1 messages, [1-9]\d* tokens in/);
    expect(theirs).toMatch(/\n• no model: 1 messages, 0 tokens in, 0 out, \$0\.00/);
    const everyone = await chat('/usage all 30');
    expect(everyone).toMatch(/^Everyone, last 30 days: [2-9]\d* messages/);
    expect(everyone).toContain(`• ${(await userOf('slack', person))?.id}: 2 messages`);
    expect(await chat('/usage 7 8')).toMatch(/^error invalid_request: Usage: \/usage/);
    expect(await chat('/usage nobody:1')).toMatch(/^error invalid_request: "nobody:1" names no user/);
  });

  it('/audit shows admins the newest records and checks the chain; others are refused, and that is audited', async () => {
    for (const message of ['one', 'two', 'three']) await chat(message);
    const listed = await chat('/audit 3');
    expect(listed).toMatch(/^The last 3 audit records, newest first:\n#\d+ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ (ok|refused)/);
    expect(await chat('/audit verify')).toMatch(/^The audit chain is intact: \d+ records, ending in hash [0-9a-f]{16}…\.$/);
    expect(await chat('/audit 99')).toMatch(/^error invalid_request: Usage: \/audit.*from 1 to 50/);
    const person = fresh();
    await store.setRole((await store.resolveUser({ platform: 'slack', externalId: person }, { role: 'user' })).id, 'user');
    expect(text(await say('slack', person, '/audit'))).toMatch(/^error forbidden/);
    expect((await store.listAudit({ action: 'command.audit' }))[0]).toMatchObject({ outcome: 'refused', actorId: (await userOf('slack', person))?.id });
  });
});
