import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { inboundJobSchema } from '../../core/contracts/job.ts';
import { telegramUpdateSchema } from './telegram-update.ts';
import { toTelegramEvent, type TelegramEventContext } from './to-job.ts';

const bot = { id: 123456, username: 'gateway_test_bot' };
const context = (groupMode: TelegramEventContext['groupMode'] = 'mention'): TelegramEventContext => ({
  bot,
  jwtKey: new TextEncoder().encode('to-job-key-to-job-key-to-job-key-32'),
  groupMode,
});
const ann = { id: 7001, is_bot: false, first_name: 'Ann', username: 'ann_k' };
const group = { id: -1001234567890, type: 'supergroup', title: 'Team' };

/** A text message with its entities, validated as the adapter validates updates. */
const textUpdate = (text: string, entities: unknown[], { chat = { id: ann.id, type: 'private' } as object, from = ann as object } = {}) =>
  telegramUpdateSchema.parse({ update_id: 600001, message: { message_id: 50, from, chat, date: 1763900000, text, entities } });
const command = (text: string, more: unknown[] = []) => [{ type: 'bot_command', offset: 0, length: /^\S*/.exec(text)![0].length }, ...more];

const press = (callback: Record<string, unknown>) =>
  telegramUpdateSchema.parse({
    update_id: 600100,
    callback_query: {
      id: '4382bfdwdsb323b2d9',
      from: ann,
      chat_instance: '-8716528762831',
      data: '/confirm ABCDEFGH',
      message: { message_id: 77, from: { id: bot.id, is_bot: true, first_name: 'Gateway', username: bot.username }, chat: { id: ann.id, type: 'private', first_name: 'Ann' }, date: 1763900000, text: 'Block @bob?' },
      ...callback,
    },
  });

const jobOf = (event: ReturnType<typeof toTelegramEvent>) => {
  if (event.kind !== 'job') throw new Error(`expected a job, got ${JSON.stringify(event)}`);
  return inboundJobSchema.parse(event.job);
};
const textOf = (event: ReturnType<typeof toTelegramEvent>) => jobOf(event).input.messages[0]!.content;

describe('Telegram updates as jobs: people named in commands', () => {
  it('writes a person named without a username in a command as telegram:<id>, and keeps an @username as typed', () => {
    // "/block Bob" where Bob is a text_mention (no username), then "@carol" as a mention.
    const text = '/block Bob 🙂 @carol';
    const entities = command(text, [
      { type: 'text_mention', offset: 7, length: 3, user: { id: 8002, is_bot: false, first_name: 'Bob' } },
      { type: 'mention', offset: 14, length: 6 },
    ]);
    expect(textOf(toTelegramEvent(textUpdate(text, entities), context()))).toBe('/block telegram:8002 🙂 @carol');
  });

  it('counts entity offsets in UTF-16 units, past emoji, and replaces several names from the end', () => {
    // '🙂' is two UTF-16 units: Telegram's offsets count them so, and so do JavaScript strings.
    const text = '/role 🙂 Bob Cy admin';
    const entities = command(text, [
      { type: 'text_mention', offset: 9, length: 3, user: { id: 8002, is_bot: false, first_name: 'Bob' } },
      { type: 'text_mention', offset: 13, length: 2, user: { id: 8003, is_bot: false, first_name: 'Cy' } },
    ]);
    expect(textOf(toTelegramEvent(textUpdate(text, entities), context()))).toBe('/role 🙂 telegram:8002 telegram:8003 admin');
  });

  it('leaves a name in a message that is not a command as written', () => {
    const text = 'say hi to Bob';
    const entities = [{ type: 'text_mention', offset: 10, length: 3, user: { id: 8002, is_bot: false, first_name: 'Bob' } }];
    expect(textOf(toTelegramEvent(textUpdate(text, entities), context()))).toBe('say hi to Bob');
  });

  it("in a group, takes out the bot's @name and still writes a person named in the command by id", () => {
    const text = '/allow@gateway_test_bot Bob @gateway_test_bot';
    const entities = command(text, [
      { type: 'text_mention', offset: 24, length: 3, user: { id: 8002, is_bot: false, first_name: 'Bob' } },
      { type: 'mention', offset: 28, length: 17 },
    ]);
    expect(textOf(toTelegramEvent(textUpdate(text, entities, { chat: group }), context()))).toBe('/allow@gateway_test_bot telegram:8002');
  });

  it("carries the sender's username as source.handle, and none when they have none", () => {
    expect(jobOf(toTelegramEvent(textUpdate('hello', []), context())).source.handle).toBe('ann_k');
    const { username: _, ...nameless } = ann;
    expect(jobOf(toTelegramEvent(textUpdate('hello', [], { from: nameless }), context())).source).not.toHaveProperty('handle');
  });
});

describe('Telegram button presses as jobs', () => {
  it("is the presser sending the button's command in the message's chat, threaded to the message", () => {
    const job = jobOf(toTelegramEvent(press({}), context()));
    expect(job).toMatchObject({
      id: `telegram-${bot.id}-600100`,
      source: { platform: 'telegram', eventId: `${bot.id}:600100`, direct: true, handle: 'ann_k' },
      conversationId: `telegram-${ann.id}`,
      replyTo: { adapter: 'telegram', chat: { id: String(ann.id), messageId: '77' } },
      input: { messages: [{ role: 'user', content: '/confirm ABCDEFGH' }] },
    });
    const claims = decodeJwt(job.identityToken);
    expect({ platform: claims.platform, subject: claims.sub, jobId: claims.jti }).toEqual({ platform: 'telegram', subject: String(ann.id), jobId: job.id });
  });

  it('in a group is not direct, keeps the forum topic, and needs no mention even in mention or off mode', () => {
    const message = { message_id: 90, message_thread_id: 12, is_topic_message: true, chat: group, date: 1763900000 };
    for (const mode of ['mention', 'off'] as const) {
      const job = jobOf(toTelegramEvent(press({ message }), context(mode)));
      expect(job.source.direct).toBe(false);
      expect(job.conversationId).toBe(`telegram-${group.id}-12`);
      expect(job.replyTo.chat).toEqual({ id: String(group.id), messageId: '90', threadId: '12' });
    }
  });

  it('takes a press under a message too old to be shown again (date 0)', () => {
    const job = jobOf(toTelegramEvent(press({ message: { message_id: 5, chat: { id: ann.id, type: 'private' }, date: 0 } }), context()));
    expect(job.input.messages[0]!.content).toBe('/confirm ABCDEFGH');
  });

  it('ignores a press from a bot, without data (a game), or on an inline-mode message', () => {
    expect(toTelegramEvent(press({ from: { id: 9, is_bot: true, first_name: 'B' } }), context())).toMatchObject({ kind: 'ignore' });
    expect(toTelegramEvent(press({ data: undefined, game_short_name: 'chess' }), context())).toMatchObject({ kind: 'ignore' });
    expect(toTelegramEvent(press({ message: undefined, inline_message_id: 'AAAA' }), context())).toMatchObject({ kind: 'ignore' });
  });

  it('refuses, at the edge, a callback_query without an id or a presser', () => {
    expect(telegramUpdateSchema.safeParse({ update_id: 1, callback_query: { from: ann, data: '/x' } }).success).toBe(false);
    expect(telegramUpdateSchema.safeParse({ update_id: 1, callback_query: { id: 'q', data: '/x' } }).success).toBe(false);
  });
});
