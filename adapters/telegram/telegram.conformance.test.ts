import { startFakeTelegram } from '../../test/fakes/fake-telegram.ts';
import { useChatHarness } from '../../test/helpers/chat-harness.ts';
import { waitUntil } from '../../test/helpers/processes.ts';
import { describeAdapterConformance, type ConformanceCase } from '../kit/conformance.ts';
import fixtures from './__fixtures__/updates.json' with { type: 'json' };
import { startTelegramAdapter } from './telegram-adapter.ts';

const harness = useChatHarness('telegram');

describeAdapterConformance({
  platform: 'telegram',
  cases: fixtures.cases as ConformanceCase[],
  maxMessageLength: 4096,
  async start() {
    const { parts, jobs } = await harness.fresh();
    const telegram = await startFakeTelegram({ token: `${fixtures.bot.id}:conformance-token`, username: fixtures.bot.username });
    const adapter = await startTelegramAdapter({ ...parts, token: telegram.token, apiRoot: telegram.apiRoot, pollTimeoutSeconds: 1 });
    return {
      async deliver(event) {
        const updateId = telegram.push(event as Record<string, unknown>);
        if (!(await waitUntil(() => telegram.confirmed(updateId), 10_000))) throw new Error(`update ${updateId} was never confirmed`);
      },
      jobs: () => jobs,
      deliverReply: (reply) => adapter.deliver(reply),
      shown: (chat) => telegram.messages(Number(chat.id)).map((message) => message.visible),
      async close() {
        await adapter.close();
        await telegram.close();
      },
    };
  },
});
