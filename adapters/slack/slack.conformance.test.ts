import { startFakeSlack } from '../../test/fakes/fake-slack.ts';
import { useChatHarness } from '../../test/helpers/chat-harness.ts';
import { buildProbeServer } from '../http/index.ts';
import { describeAdapterConformance, type ConformanceCase } from '../kit/conformance.ts';
import fixtures from './__fixtures__/events.json' with { type: 'json' };
import { startSlackAdapter } from './slack-adapter.ts';

const harness = useChatHarness('slack');

/** Each recorded event, command or button press is posted to the receiver, signed, as Slack posts it; the 200 means it was taken. */
describeAdapterConformance({
  platform: 'slack',
  cases: fixtures.cases as ConformanceCase[],
  maxMessageLength: 4000,
  async start() {
    const { parts, jobs } = await harness.fresh();
    const slack = await startFakeSlack();
    const adapter = await startSlackAdapter({ ...parts, token: slack.botToken, signingSecret: slack.signingSecret, apiUrl: slack.apiUrl });
    const server = buildProbeServer({ log: parts.log, checks: {}, routes: [adapter.webhook!] });
    await server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.server.address() as { port: number };
    return {
      async deliver(event) {
        const { kind, body } = event as { kind: 'event' | 'command' | 'interaction'; body: Record<string, string> };
        // Interactions (button presses) come as a form too, their JSON in its `payload` field.
        const raw = kind === 'event' ? JSON.stringify(body) : kind === 'interaction' ? slack.interactionForm(body) : new URLSearchParams(body).toString();
        const contentType = kind === 'event' ? 'application/json' : 'application/x-www-form-urlencoded';
        const response = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', headers: { 'content-type': contentType, ...slack.sign(raw) }, body: raw });
        if (response.status !== 200) throw new Error(`the receiver answered ${response.status}: ${await response.text()}`);
      },
      jobs: () => jobs,
      deliverReply: (reply) => adapter.deliver(reply),
      shown: (chat) => slack.messages(chat.id).map((message) => message.visible),
      async close() {
        await server.close();
        await adapter.close();
        await slack.close();
      },
    };
  },
});
