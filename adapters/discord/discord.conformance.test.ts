import { startFakeDiscord } from '../../test/fakes/fake-discord.ts';
import { useChatHarness } from '../../test/helpers/chat-harness.ts';
import { waitUntil } from '../../test/helpers/processes.ts';
import { describeAdapterConformance, type ConformanceCase } from '../kit/conformance.ts';
import fixtures from './__fixtures__/events.json' with { type: 'json' };
import { startDiscordAdapter } from './discord-adapter.ts';

const harness = useChatHarness('discord');

describeAdapterConformance({
  platform: 'discord',
  cases: fixtures.cases as ConformanceCase[],
  maxMessageLength: 2000,
  async start() {
    const { parts, jobs } = await harness.fresh();
    const discord = await startFakeDiscord({ botId: fixtures.bot.id, username: fixtures.bot.username });
    const handled: string[] = [];
    const adapter = await startDiscordAdapter({
      ...parts,
      token: discord.token,
      apiUrl: discord.apiUrl,
      channels: [fixtures.openChannel],
      onEvent: (outcome) => handled.push(outcome.eventId),
    });
    return {
      async deliver(event) {
        const { t, d } = event as { t: string; d: Record<string, unknown> };
        const count = () => handled.filter((id) => id === d.id).length;
        const before = count();
        await discord.dispatch(t, d);
        if (!(await waitUntil(() => count() > before, 10_000))) throw new Error(`event ${String(d.id)} was never handled`);
      },
      jobs: () => jobs,
      deliverReply: (reply) => adapter.deliver(reply),
      shown: (chat) => discord.messages(chat.id).map((message) => message.visible),
      async close() {
        await adapter.close();
        await discord.close();
      },
    };
  },
});
