import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from '../../test/fakes/fake-discord.ts';
import { waitUntil } from '../../test/helpers/processes.ts';
import type { DeliveryRecords } from '../kit/delivery-records.ts';
import type { InteractionTokens } from '../kit/interaction-tokens.ts';
import { startDiscordAdapter, type DiscordAdapterOptions } from './discord-adapter.ts';

/** The adapter's own start and failure paths, against the fake Discord; records and tokens kept in memory. */
const fakes: FakeDiscord[] = [];
afterEach(async () => {
  for (const fake of fakes.splice(0)) await fake.close();
});

function memoryRecords(): DeliveryRecords {
  const parts = new Map<string, Record<string, string>>();
  const of = (jobId: string) => parts.get(jobId) ?? (parts.set(jobId, {}), parts.get(jobId)!);
  return {
    async claim(jobId, part) {
      const earlier = of(jobId)[part];
      if (earlier && earlier !== 'failed') return earlier;
      of(jobId)[part] = 'sending';
      return undefined;
    },
    record: async (jobId, part, value) => void (of(jobId)[part] = value),
    read: async (jobId) => ({ ...of(jobId) }),
  };
}
const memoryTokens = (): InteractionTokens => {
  const saved = new Map<string, string>();
  return { save: async (id, value) => void saved.set(id, value), load: async (id) => saved.get(id) };
};

const options = (discord: FakeDiscord, overrides: Partial<DiscordAdapterOptions> = {}): DiscordAdapterOptions => ({
  token: discord.token,
  apiUrl: discord.apiUrl,
  jwtKey: new TextEncoder().encode('adapter-test-key-adapter-test-key-32'),
  enqueue: async (job) => job,
  records: memoryRecords(),
  tokens: memoryTokens(),
  subscribe: async function* () {},
  log: pino({ level: 'silent' }),
  ...overrides,
});

describe('Discord adapter start and failures', () => {
  it('refuses a token Discord refuses, in words that name the variable and not the token', async () => {
    const discord = await startFakeDiscord();
    fakes.push(discord);
    const wrong = `${discord.token.slice(0, -4)}XXXX`;
    const error = await startDiscordAdapter(options(discord, { token: wrong })).then(() => undefined, (caught: Error) => caught);
    expect(error?.message).toBe('Discord refused DISCORD_BOT_TOKEN (401 Unauthorized).');
  });

  it('says how to fix a Message Content intent the Developer Portal has not enabled', async () => {
    const discord = await startFakeDiscord({ messageContentIntent: false });
    fakes.push(discord);
    const error = await startDiscordAdapter(options(discord)).then(() => undefined, (caught: Error) => caught);
    expect(error?.message).toMatch(/Message Content intent: enable it for the bot in the Developer Portal/);
  }, 30_000);

  it('keeps its gateway session: heartbeats acknowledged, and after a dropped connection or a missed ACK it identifies again and answers', async () => {
    const discord = await startFakeDiscord({ heartbeatIntervalMs: 300 });
    fakes.push(discord);
    const handled: string[] = [];
    const adapter = await startDiscordAdapter(options(discord, { onEvent: (outcome) => handled.push(`${outcome.eventId}:${outcome.kind}`) }));
    const answered = async () => {
      const message = discord.message('still there?', { dm: true });
      await discord.dispatch('MESSAGE_CREATE', message);
      return waitUntil(() => handled.includes(`${String(message.id)}:job`), 5000);
    };
    try {
      expect(await waitUntil(() => discord.gateway().heartbeats >= 3, 5000)).toBe(true);
      expect((await adapter.health()).ok).toBe(true);

      discord.dropConnections();
      expect(await waitUntil(() => discord.gateway().identifies >= 2 && discord.sessions().length === 1, 15_000)).toBe(true);
      expect(await answered()).toBe(true);

      // A zombie connection (heartbeats no longer acknowledged) is closed by the client and opened afresh.
      const { resumes } = discord.gateway();
      discord.ackHeartbeats(false);
      expect(await waitUntil(() => discord.gateway().resumes > resumes, 5000)).toBe(true);
      discord.ackHeartbeats(true);
      // Identifies are throttled to one per 5 s, as Discord's max_concurrency of 1 asks.
      expect(await waitUntil(() => discord.gateway().identifies >= 3, 15_000)).toBe(true);
      let healthy = false;
      expect(await waitUntil(() => (void adapter.health().then((state) => (healthy = state.ok)), healthy), 10_000)).toBe(true);
      expect(await answered()).toBe(true);
    } finally {
      await adapter.close();
    }
  }, 60_000);

  it('tells the person to send again when the queue stays unreachable, and tells a slash command the same', async () => {
    const discord = await startFakeDiscord();
    fakes.push(discord);
    let attempts = 0;
    const adapter = await startDiscordAdapter(
      options(discord, {
        queueRetryMs: 10,
        enqueue: async () => {
          attempts += 1;
          throw new Error('Connection is closed.');
        },
      }),
    );
    try {
      const message = discord.message('Hello?', { dm: true, userId: '1600000000000000001' });
      await discord.dispatch('MESSAGE_CREATE', message);
      const channel = String(message.channel_id);
      expect(await waitUntil(() => discord.messages(channel).length > 0, 5000)).toBe(true);
      expect(discord.messages(channel)[0]).toMatchObject({ visible: "I couldn't take your message just now. Please send it again in a moment.", replyTo: message.id });
      expect(attempts).toBe(5);
      const interaction = discord.interaction('ask', { question: 'Anyone?' }, { dm: true, userId: '1600000000000000002' });
      await discord.dispatch('INTERACTION_CREATE', interaction);
      const dm = String(interaction.channel_id);
      expect(await waitUntil(() => discord.messages(dm)[0]?.visible.startsWith("I couldn't take") ?? false, 5000)).toBe(true);
    } finally {
      await adapter.close();
    }
  });
});
