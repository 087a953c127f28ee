import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../queue/redis-server.ts';
import { startFakeTelegram } from '../../test/fakes/fake-telegram.ts';
import { useChatHarness } from '../../test/helpers/chat-harness.ts';
import { waitUntil } from '../../test/helpers/processes.ts';
import { buildProbeServer } from '../http/probe-server.ts';
import { startTelegramAdapter, webhookSecretFor } from './telegram-adapter.ts';
import { maxUnixTime, telegramUpdateSchema } from './telegram-update.ts';

/**
 * Updates by webhook that Telegram never retries to any avail: each is answered 200 or a 4xx, never the
 * 503 that asks Telegram to send it again (found by test/fuzz/webhooks.fuzz.test.ts).
 */
const harness = useChatHarness('telegram');
const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

async function webhookAdapter() {
  const { parts, jobs } = await harness.fresh();
  const telegram = await startFakeTelegram();
  closing.push(() => telegram.close());
  const port = await freePort();
  const adapter = await startTelegramAdapter({ ...parts, token: telegram.token, apiRoot: telegram.apiRoot, webhookUrl: `http://127.0.0.1:${port}/telegram/hook` });
  closing.push(() => adapter.close());
  const server = buildProbeServer({ log: pino({ level: 'silent' }), checks: {}, routes: [adapter.webhook!] });
  closing.push(() => server.close());
  await server.listen({ port, host: '127.0.0.1' });
  const post = async (update: unknown) => {
    const response = await fetch(`http://127.0.0.1:${port}/telegram/hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': webhookSecretFor(telegram.token) },
      body: JSON.stringify(update),
    });
    return { status: response.status, body: (await response.json()) as { ok?: boolean; error?: { message: string } } };
  };
  return { telegram, jobs, post };
}

let updateId = 910_000;
const message = (chat: number, fields: Record<string, unknown>) => ({
  update_id: ++updateId,
  message: { message_id: updateId, from: { id: chat, is_bot: false, first_name: 'Ann' }, chat: { id: chat, type: 'private' }, date: 1763900000, ...fields },
});
const docsAdd = { caption: '/docs add', caption_entities: [{ type: 'bot_command', offset: 0, length: 5 }] };

describe('Telegram webhook: updates a retry would not help', () => {
  it('refuses a date no clock can hold with a 400, and takes the latest moment one can', async () => {
    const { post, jobs } = await webhookAdapter();
    expect(telegramUpdateSchema.safeParse(message(1, { date: maxUnixTime + 1, text: 'hi' })).success).toBe(false);
    for (const date of [Number.MAX_SAFE_INTEGER, 8.64e12 + 1, maxUnixTime + 1]) {
      const refused = await post(message(601, { date, text: 'from the far future' }));
      expect(refused.status).toBe(400);
      expect(refused.body.error!.message).toMatch(/^The body is not a Telegram Update/);
    }
    expect((await post(message(602, { date: maxUnixTime, text: 'at the end of time' }))).status).toBe(200);
    expect(jobs.map((job) => job.source.receivedAt)).toEqual(['9999-12-31T23:59:59.000Z']);
  });

  it('answers a message over the job limit with a note saying so, and queues nothing', async () => {
    const { post, jobs, telegram } = await webhookAdapter();
    expect(await post(message(603, { text: 'ю'.repeat(250_000) }))).toEqual({ status: 200, body: { ok: true } });
    expect(await waitUntil(() => telegram.messages(603).length === 1)).toBe(true);
    expect(telegram.messages(603)[0]!.visible).toBe('That message is too long for me: 250,000 characters, and I read at most 200,000. Please send it in shorter parts.');
    expect(jobs).toEqual([]);
  });

  it("answers /docs add with a file over 20 MB, or one Telegram will not hand over, with a note, and queues nothing", async () => {
    const { post, jobs, telegram } = await webhookAdapter();
    const big = { file_id: 'BQACAgIAAxbig', file_unique_id: 'u1', file_name: 'handbook.pdf', mime_type: 'application/pdf', file_size: 25_000_000 };
    expect((await post(message(604, { ...docsAdd, document: big }))).status).toBe(200);
    // Telegram says nothing of the size here: it refuses getFile.
    const unknown = { file_id: 'BQACAgIAAxunknown', file_unique_id: 'u2', file_name: 'notes.md' };
    expect((await post(message(605, { ...docsAdd, document: unknown }))).status).toBe(200);
    expect(await waitUntil(() => telegram.messages(604).length === 1 && telegram.messages(605).length === 1)).toBe(true);
    expect(telegram.messages(604)[0]!.visible).toMatch(/^handbook\.pdf is larger than 10 MB/);
    expect(telegram.messages(605)[0]!.visible).toBe('Telegram would not hand notes.md over to me (Bad Request: invalid file_id); bots can download files of up to 20 MB.');
    expect(telegram.calls('getFile').map((call) => call.file_id)).toEqual(['BQACAgIAAxunknown']);
    expect(jobs).toEqual([]);
  });

  it('still leaves a getFile that fails for a while (429, 5xx) to a retry: 503', async () => {
    const { post, telegram } = await webhookAdapter();
    telegram.failNext('getFile', { error_code: 502, description: 'Bad Gateway' });
    const failed = await post(message(606, { ...docsAdd, document: { file_id: 'BQACAgIAAxlater', file_unique_id: 'u3', file_name: 'later.md' } }));
    expect(failed.status).toBe(503);
    expect(telegram.messages(606)).toEqual([]);
  });
});
