import { decodeJwt } from 'jose';
import pino from 'pino';
import { Telegraf } from 'telegraf';
import { afterEach, describe, expect, it } from 'vitest';
import { commandSpecs } from '../../core/contracts/commands.ts';
import type { InboundJob } from '../../core/contracts/job.ts';
import type { ReplyAction } from '../../core/contracts/reply.ts';
import { freePort } from '../../queue/redis-server.ts';
import { startFakeTelegram, type FakeTelegram } from '../../test/fakes/fake-telegram.ts';
import { useChatHarness } from '../../test/helpers/chat-harness.ts';
import { waitUntil } from '../../test/helpers/processes.ts';
import { buildProbeServer } from '../http/probe-server.ts';
import { startTelegramAdapter, type TelegramAdapter, type TelegramAdapterOptions } from './telegram-adapter.ts';
import { telegramTransport } from './telegram-transport.ts';
import { okReply } from '../kit/conformance.ts';

/**
 * Admin commands on Telegram: the gateway's commands in the bot's menu, a reply's buttons as an inline
 * keyboard, a press as the presser's command, people named in a command by id. The real adapter (telegraf)
 * against the fake Bot API, on the real queue.
 */
const harness = useChatHarness('telegram');
const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

async function started(overrides: Partial<TelegramAdapterOptions> = {}) {
  const { parts, jobs } = await harness.fresh();
  const telegram = await startFakeTelegram();
  closing.push(() => telegram.close());
  const adapter = await startTelegramAdapter({ ...parts, token: telegram.token, apiRoot: telegram.apiRoot, pollTimeoutSeconds: 1, ...overrides });
  closing.push(() => adapter.close());
  return { telegram, adapter, jobs };
}

/** Resolves once the adapter has taken the update off getUpdates (it is queued, or was ignored). */
async function taken(telegram: FakeTelegram, updateId: number) {
  if (!(await waitUntil(() => telegram.confirmed(updateId), 10_000))) throw new Error(`update ${updateId} was never confirmed`);
}

const confirmActions: ReplyAction[] = [
  { label: 'Block', command: '/confirm ABCDEFGH', style: 'danger' },
  { label: 'Cancel', command: '/cancel ABCDEFGH' },
];

/** A person asks; the reply asks to confirm, with buttons. Returns the chat and the job. */
async function askedToConfirm(telegram: FakeTelegram, adapter: TelegramAdapter, jobs: InboundJob[], chat: number) {
  await taken(telegram, telegram.pushText('/block @bob', { userId: chat, username: 'ann_admin' }));
  const job = jobs.at(-1)!;
  await adapter.deliver(okReply(job, 'Block **@bob**? Press a button, or send /confirm ABCDEFGH.', confirmActions));
  return job;
}

describe('Telegram admin commands', () => {
  it("registers every gateway command in the bot's menu, and asks for button presses by polling", async () => {
    const { telegram } = await started();
    expect(telegram.calls('setMyCommands')).toHaveLength(1);
    expect(telegram.calls('setMyCommands')[0]!.commands).toEqual(commandSpecs.map((spec) => ({ command: spec.name, description: spec.description })));
    await waitUntil(() => telegram.calls('getUpdates').length > 0);
    expect(telegram.calls('getUpdates')[0]!.allowed_updates).toEqual(['message', 'callback_query']);
  });

  it("shows a reply's actions as an inline keyboard under its last message", async () => {
    const { telegram, adapter, jobs } = await started();
    const chat = 501;
    await askedToConfirm(telegram, adapter, jobs, chat);
    const [message, ...more] = telegram.messages(chat);
    expect(more).toEqual([]);
    expect(message).toMatchObject({ visible: 'Block @bob? Press a button, or send /confirm ABCDEFGH.', parseMode: 'HTML' });
    expect(message!.buttons).toEqual([
      { text: 'Block', data: '/confirm ABCDEFGH', style: 'danger' },
      { text: 'Cancel', data: '/cancel ABCDEFGH' },
    ]);
    // On the wire: one row of callback buttons, as the Bot API takes them.
    expect(telegram.calls('sendMessage').at(-1)!.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: 'Block', callback_data: '/confirm ABCDEFGH', style: 'danger' },
          { text: 'Cancel', callback_data: '/cancel ABCDEFGH' },
        ],
      ],
    });

    // A long reply: only its last message carries them.
    await taken(telegram, telegram.pushText('/keys list', { userId: chat }));
    const long = Array.from({ length: 300 }, (_, i) => `Key ${i}: key_${i} created today by someone.`).join('\n\n');
    await adapter.deliver(okReply(jobs.at(-1)!, long, [{ label: 'Done', command: '/cancel ZZZZZZZZ' }]));
    const parts = telegram.messages(chat).slice(1);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.map((part) => part.buttons?.map((button) => button.text))).toEqual([...parts.slice(1).map(() => undefined), ['Done']]);
  });

  it("makes a press the presser's command in that chat: a job with their identity and handle, answered at once, the same job when redelivered", async () => {
    const { telegram, adapter, jobs } = await started();
    const chat = 502;
    const asked = await askedToConfirm(telegram, adapter, jobs, chat);
    const botMessage = telegram.messages(chat)[0]!;

    const pressed = telegram.press(chat, 'Block', { userId: chat, username: 'ann_admin' });
    await taken(telegram, pressed);
    const job = jobs.at(-1)!;
    expect(job.id).not.toBe(asked.id);
    expect(job).toMatchObject({
      id: `telegram-${telegram.bot.id}-${pressed}`,
      source: { platform: 'telegram', eventId: `${telegram.bot.id}:${pressed}`, direct: true, handle: 'ann_admin' },
      conversationId: `telegram-${chat}`,
      replyTo: { adapter: 'telegram', chat: { id: String(chat), messageId: String(botMessage.messageId) } },
      input: { messages: [{ role: 'user', content: '/confirm ABCDEFGH' }] },
    });
    const claims = decodeJwt(job.identityToken);
    expect({ platform: claims.platform, subject: claims.sub, jobId: claims.jti }).toEqual({ platform: 'telegram', subject: String(chat), jobId: job.id });
    expect(await waitUntil(() => telegram.calls('answerCallbackQuery').length === 1)).toBe(true);
    expect(telegram.calls('answerCallbackQuery')[0]).toEqual({ callback_query_id: `cbq-${telegram.bot.id}-${pressed}` });

    // Telegram delivers the same update again: the same job, not a second one.
    const again = telegram.pushCallback('/confirm ABCDEFGH', { userId: chat, username: 'ann_admin', chatId: chat, messageId: botMessage.messageId, updateId: pressed });
    expect(again).toBe(pressed);
    await taken(telegram, again);
    expect(new Set(jobs.slice(1).map((queued) => queued.id))).toEqual(new Set([job.id]));
  });

  it('takes a press in a group from whoever pressed, not direct, with no mention needed', async () => {
    const { telegram, jobs } = await started();
    const group = -100500;
    const pressed = telegram.pushCallback('/cancel ABCDEFGH', { userId: 8003, chatId: group, messageId: 9 });
    await taken(telegram, pressed);
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job).toMatchObject({ source: { direct: false }, conversationId: `telegram-${group}`, replyTo: { chat: { id: String(group), messageId: '9' } }, input: { messages: [{ content: '/cancel ABCDEFGH' }] } });
    expect(job.source).not.toHaveProperty('handle');
    expect(decodeJwt(job.identityToken).sub).toBe('8003');
  });

  it('answers a press it could not queue too, so the button stops spinning (the update is fetched again)', async () => {
    const { telegram } = await started({ enqueue: async () => Promise.reject(new Error('Connection is closed.')) });
    const pressed = telegram.pushCallback('/confirm ABCDEFGH', { userId: 503 });
    expect(await waitUntil(() => telegram.calls('answerCallbackQuery').length > 0)).toBe(true);
    expect(telegram.confirmed(pressed)).toBe(false);
  });

  it('receives presses by webhook too', async () => {
    const port = await freePort();
    const { telegram, adapter, jobs } = await started({ webhookUrl: `http://127.0.0.1:${port}/telegram/hook` });
    expect(telegram.calls('setWebhook')[0]!.allowed_updates).toEqual(['message', 'callback_query']);
    const server = buildProbeServer({ log: pino({ level: 'silent' }), checks: {}, routes: [adapter.webhook!] });
    closing.push(() => server.close());
    await server.listen({ port, host: '127.0.0.1' });
    telegram.pushCallback('/cancel ABCDEFGH', { userId: 504 });
    expect(await waitUntil(() => jobs.length === 1)).toBe(true);
    expect(jobs[0]!.input.messages).toEqual([{ role: 'user', content: '/cancel ABCDEFGH' }]);
    expect(await waitUntil(() => telegram.calls('answerCallbackQuery').length === 1)).toBe(true);
  });

  it('writes a person named without a username in a command as telegram:<id>, keeps an @name, and carries the sender\'s handle', async () => {
    const { telegram, jobs } = await started();
    const text = '/role Bob admin @carol';
    const entities = [
      { type: 'bot_command', offset: 0, length: 5 },
      { type: 'text_mention', offset: 6, length: 3, user: { id: 8002, is_bot: false, first_name: 'Bob' } },
      { type: 'mention', offset: 16, length: 6 },
    ];
    await taken(telegram, telegram.pushText(text, { userId: 505, username: 'ann_admin', entities }));
    expect(jobs[0]).toMatchObject({ input: { messages: [{ content: '/role telegram:8002 admin @carol' }] }, source: { handle: 'ann_admin' } });
  });
});

describe('Telegram transport buttons', () => {
  it('keeps the keyboard on an edit that gives it, and loses it on one that does not, as Telegram does', async () => {
    const telegram = await startFakeTelegram();
    closing.push(() => telegram.close());
    const transport = telegramTransport(new Telegraf(telegram.token, { telegram: { apiRoot: telegram.apiRoot } }).telegram);
    const target = { id: '506' };
    const id = await transport.send(target, 'Sure?', { buttons: confirmActions });
    await transport.edit(target, id, 'Sure? (still)', { buttons: confirmActions });
    expect(telegram.messages(506)[0]!.buttons?.map((button) => button.text)).toEqual(['Block', 'Cancel']);
    // The same text, the keyboard taken away: a change, not "message is not modified".
    await transport.edit(target, id, 'Sure? (still)');
    expect(telegram.messages(506)[0]).toMatchObject({ edits: 2 });
    expect(telegram.messages(506)[0]!.buttons).toBeUndefined();
  });

  it('is refused a button whose data is over 64 bytes, as Telegram refuses it', async () => {
    const telegram = await startFakeTelegram();
    closing.push(() => telegram.close());
    const transport = telegramTransport(new Telegraf(telegram.token, { telegram: { apiRoot: telegram.apiRoot } }).telegram);
    const error = await transport.send({ id: '507' }, 'Sure?', { buttons: [{ label: 'Go', command: `/confirm ${'é'.repeat(30)}` }] }).catch((caught: Error) => caught);
    expect(error).toMatchObject({ code: 'platform_refused', message: 'Telegram: Bad Request: BUTTON_DATA_INVALID' });
  });
});
