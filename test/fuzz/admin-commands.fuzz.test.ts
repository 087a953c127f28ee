import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandSpecs } from '../../core/contracts/commands.ts';
import { startFakeTelegram, type FakeMessage, type FakeTelegram } from '../fakes/fake-telegram.ts';
import { root, startPlatformProcess, type PlatformProcess } from '../helpers/platform.ts';
import { waitUntil } from '../helpers/processes.ts';
import { crashLines, expectHealthy, expectReadable, ownCrashes, rssMb, serverPid, short } from './fuzz-kit.ts';

/**
 * Every gateway command, sent by an admin (ADMIN_USERS) through Telegram with random arguments: unicode,
 * very long ones, numbers out of range, ids and codes that do not exist, quotes and markup. Each gets
 * exactly one reply, in words: never an internal error, a stack trace, "[object Object]" or "undefined";
 * and the platform answers ordinary messages afterwards. The whole platform (`npm start`'s process, its
 * built-in offline model) against a fake Bot API.
 */
const admin = { id: 9001, handle: 'tg_admin' };
const member = { id: 5001, handle: 'tg_member' };
const group = -100_777;

let telegram: FakeTelegram;
let platform: PlatformProcess;
let pid: number;
let startMb: number;
let memberUserId = 'usr_unknown';
let keyId = 'key_unknown';
const started = Date.now();

let nextMessageId = 10_000_000;
let nextUpdateId = 90_000_000;

/** A message typed in a chat, with the entity Telegram gives a leading /command; its message_id. */
function say(as: { id: number; handle: string }, text: string, chat: number): number {
  const messageId = ++nextMessageId;
  const command = /^\/\w+(@\w+)?/.exec(text);
  telegram.push({
    update_id: ++nextUpdateId,
    message: {
      message_id: messageId,
      from: { id: as.id, is_bot: false, first_name: as.handle, username: as.handle, language_code: 'en' },
      chat: chat > 0 ? { id: chat, type: 'private', first_name: as.handle } : { id: chat, type: 'supergroup', title: 'Admins' },
      date: Math.floor(Date.now() / 1000),
      text,
      ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
    },
  });
  return messageId;
}

/** The bot's messages answering one message. */
const repliesTo = (chat: number, messageId: number): FakeMessage[] => telegram.messages(chat).filter((message) => message.replyTo === messageId);

/** Says `text` and waits for the bot's answer to it (the last edit of a live message included). */
async function ask(as: { id: number; handle: string }, text: string, chat: number, timeoutMs = 15_000): Promise<FakeMessage> {
  const messageId = say(as, text, chat);
  let last = '';
  let since = Date.now();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [reply] = repliesTo(chat, messageId);
    const seen = JSON.stringify(reply ?? null);
    if (seen !== last) [last, since] = [seen, Date.now()];
    else if (reply && Date.now() - since >= 150) return reply;
    if (Date.now() > deadline) throw new Error(`no reply to ${JSON.stringify(text.slice(0, 300))} in chat ${chat} within ${timeoutMs} ms\n${platform.output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  telegram = await startFakeTelegram();
  platform = await startPlatformProcess({
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_POLL_TIMEOUT_SECONDS: '1',
    CHAT_EDIT_INTERVAL_MS: '200',
    ACCESS_MODE: 'open',
    ADMIN_USERS: `telegram:${admin.id}`,
    // /docs add <url> fetches nothing but this (unresolvable) host: no fuzzed URL reaches the internet.
    FETCH_ALLOWED_HOSTS: 'docs.fuzz.invalid',
  });
  pid = serverPid(platform);
  // A member the admin can name, a key to revoke, and every path warmed up before memory is measured.
  await ask(member, 'hello', member.id);
  await ask(admin, 'hello', admin.id);
  memberUserId = /usr_\w+/.exec((await ask(admin, `/users`, admin.id)).visible.split('\n').find((line) => line.includes(`telegram:${member.id}`)) ?? '')?.[0] ?? memberUserId;
  keyId = /key_\w+/.exec((await ask(admin, `/keys create telegram:${member.id} fuzz-key`, admin.id)).visible)?.[0] ?? keyId;
  startMb = rssMb(pid);
  console.log(`[admin-commands] platform up and warmed in ${Date.now() - started} ms, server ${pid} at ${startMb.toFixed(1)} MB; member ${memberUserId}, key ${keyId}`);
}, 60_000);

afterAll(async () => {
  await platform?.stop();
  await telegram?.close();
  console.log(`[admin-commands] whole file: ${Date.now() - started} ms`);
});

/** One argument as an admin might type it, or mistype it. Never the admin themself: limiting or blocking oneself silences the chat by design. */
const argument: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }), weight: 1 },
  {
    arbitrary: fc.constantFrom('approve', 'deny', 'list', 'add', 'remove', 'create', 'revoke', 'global', 'admin', 'user', 'verify', 'all', 'instant', 'thinking', 'auto', 'default', 'offline', 'openai/gpt-4o', 'pending', 'blocked', 'help'),
    weight: 4,
  },
  {
    arbitrary: fc.oneof(
      fc.constantFrom(`telegram:${member.id}`, `@${member.handle}`, '@nobody_here', 'telegram:0', 'telegram:-1', 'telegram:99999999999999999999', 'discord:1', 'slack:T0:U0', 'http:someone', 'usr_doesnotexist', 'usr_', 'key_missing', 'doc_missing', 'mattermost:1', 'telegram:'),
      fc.constant(null).map(() => memberUserId),
      fc.constant(null).map(() => keyId),
      fc.integer({ min: 1, max: 2 ** 40 }).filter((id) => id !== admin.id).map((id) => `telegram:${id}`),
    ),
    weight: 4,
  },
  {
    arbitrary: fc.oneof(
      fc.integer().map(String),
      fc.double().map(String),
      fc.constantFrom('0', '-1', '1e309', '-0', 'NaN', 'Infinity', 'undefined', 'null', '999999999999999999999', '0x10', '1_000', '3660', '3661', '1000000001', '１２'),
    ),
    weight: 4,
  },
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$/), weight: 2 },
  { arbitrary: fc.constantFrom('"', "'", '`', '"quoted', "it's", '«»', '\\', '""', '<b>', '</b>', '&', '&amp;', '<script>alert(1)</script>', '*bold*', '_x_', '[a](b)', '```', '$(id)', '%s%n', '{{x}}', '\u0000', '\u202e', '🦄'), weight: 3 },
  { arbitrary: fc.constantFrom('https://example.com/doc.md', 'http://127.0.0.1/x', 'http://[::1]/x', 'ftp://example.com/x', 'javascript:alert(1)', 'https://user:pw@example.com/'), weight: 1 },
  { arbitrary: fc.integer({ min: 300, max: 4000 }).map((length) => 'L'.repeat(length)), weight: 1 },
);

const userRef = fc.oneof(
  { arbitrary: fc.constantFrom(`telegram:${member.id}`, `@${member.handle}`, '@nobody_here', 'telegram:0', 'usr_doesnotexist', 'slack:T0:U0', 'discord:1', 'http:nobody'), weight: 5 },
  { arbitrary: fc.constant(null).map(() => memberUserId), weight: 3 },
  { arbitrary: argument, weight: 1 },
);
const number = fc.oneof(fc.integer({ min: -10, max: 5000 }).map(String), fc.constantFrom('0', '-1', '1e309', 'NaN', 'Infinity', 'default', '999999999999999999999', '1000000001', '3661', '2.5'), argument);
const code = fc.oneof(fc.stringMatching(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/), fc.stringMatching(/^[a-z0-9]{8}$/), argument);
const target = fc.oneof(userRef, fc.constantFrom('doc_missing', 'https://example.com/doc.md', 'http://127.0.0.1/x', 'ftp://x/y'), fc.constant(null).map(() => keyId), argument);
/** An argument for one of a command's options, as its spec describes it, or anything at all. */
const forOption = (name: string, choices: readonly string[] | undefined, type: string | undefined): fc.Arbitrary<string> => {
  if (type === 'user') return userRef;
  if (choices) return fc.oneof({ arbitrary: fc.constantFrom(...choices), weight: 3 }, { arbitrary: argument, weight: 1 });
  if (['n', 'days', 'requests', 'tokens'].includes(name)) return number;
  if (name === 'code') return code;
  if (['target', 'who', 'identity'].includes(name)) return target;
  if (['model', 'tier'].includes(name)) return fc.oneof(fc.constantFrom('offline', 'instant', 'thinking', 'auto', 'default', 'openai/gpt-4o', 'x/y/z'), argument);
  return argument;
};

const names = commandSpecs.map((spec) => spec.name);
/** A command's arguments: shaped like its options (some left out, `global` or extra words put in), or random words. */
const argsFor = (name: string): fc.Arbitrary<string[]> => {
  const spec = commandSpecs.find((candidate) => candidate.name === name)!;
  const shaped = fc
    .tuple(
      // A required option is given, mostly; an optional one, half the time.
      fc.tuple(...spec.options.map((option) => fc.option(forOption(option.name, option.choices, option.type), { nil: undefined, freq: option.required ? 8 : 2 }))),
      fc.option(fc.constantFrom('global', 'all'), { nil: undefined, freq: 3 }),
      fc.oneof({ arbitrary: fc.constant([]), weight: 6 }, { arbitrary: fc.tuple(argument), weight: 1 }),
    )
    .map(([values, lead, extra]) => [...(lead && ['model', 'tier', 'usage'].includes(name) ? [lead] : []), ...values.filter((value) => value !== undefined), ...extra]);
  return fc.oneof({ arbitrary: shaped, weight: 3 }, { arbitrary: fc.array(argument, { maxLength: 4 }), weight: 1 });
};
const invocation = fc
  .record({ name: fc.constantFrom(...names), addressed: fc.boolean(), where: fc.constantFrom('dm', 'dm', 'dm', 'group') })
  .chain((shape) => argsFor(shape.name).map((args) => ({ ...shape, args })))
  // What Telegram lets anyone send: at most 4096 characters.
  .filter(({ name, args }) => [`/${name}@gateway_test_bot`, ...args].join(' ').length <= 4096);

describe('admin commands with random arguments, on Telegram', () => {
  /** Every command sent, with its message, for counting replies after. */
  const sent: { chat: number; messageId: number; text: string }[] = [];
  const seenNames = new Set<string>();

  it('answers every one exactly once, in words: no internal error, stack trace, [object Object] or undefined', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(invocation, { minLength: 1, maxLength: 3 }), async (batch) => {
        // A few at once, as a busy admin types them; each waits for its own answer.
        await Promise.all(
          batch.map(async ({ name, args, addressed, where }) => {
            seenNames.add(name);
            const chat = where === 'dm' ? admin.id : group;
            const text = [`/${name}${addressed ? '@gateway_test_bot' : ''}`, ...args].join(' ');
            const reply = await ask(admin, text, chat);
            sent.push({ chat, messageId: reply.replyTo!, text });
            const what = `${text.slice(0, 300)} → ${reply.visible.slice(0, 500)}`;
            expect(reply.visible, what).not.toMatch(/internal error|something went wrong/i);
            // What the admin typed may be said back; what is left must read as words.
            let own = reply.visible;
            for (const arg of [...args].sort((a, b) => b.length - a.length)) own = own.replaceAll(arg, '');
            expectReadable(own, what);
          }),
        );
      }),
      { numRuns: 120 },
    );
    console.log(`[admin-commands] ${sent.length} commands sent, ${seenNames.size} of ${names.length} commands covered`);
    expect([...seenNames].sort()).toEqual([...names].sort());
  });

  it('sent no command a second reply, and nothing that answers no one', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const counted = sent.map(({ chat, messageId, text }) => ({ text: text.slice(0, 200), replies: repliesTo(chat, messageId).length }));
    expect(counted.filter(({ replies }) => replies !== 1)).toEqual([]);
    const stray = [admin.id, group].flatMap((chat) => telegram.messages(chat).filter((message) => message.replyTo === undefined).map((message) => message.visible.slice(0, 200)));
    expect(stray).toEqual([]);
  });

  it('still answers an ordinary message afterwards, from the admin and from someone new, once each', async () => {
    for (const person of [admin, { id: 60_000_001, handle: 'newcomer' }]) {
      const messageId = say(person, 'What is the capital of France?', person.id);
      expect(await waitUntil(() => repliesTo(person.id, messageId).length > 0, 15_000), platform.output().slice(-3000)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 800));
      const replies = repliesTo(person.id, messageId);
      expect(replies).toHaveLength(1);
      expect(replies[0]!.visible).toMatch(/^This is the built-in offline model.*"What is the capital of France\?"/s);
    }
  });

  it('is alive, healthy, within its memory bound, and logged no crash', async () => {
    await expectHealthy(platform, pid, startMb, 'admin-commands');
    console.log(`[admin-commands] ${crashLines(platform.output()).length} error lines in the platform's log`);
    expect(ownCrashes(platform.output(), root).map((line) => short(line))).toEqual([]);
  });
});
