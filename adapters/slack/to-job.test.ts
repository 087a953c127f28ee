import { describe, expect, it } from 'vitest';
import { slackCommandSchema, slackEventCallbackSchema } from './slack-events.ts';
import { commandToWork, eventToWork, type SlackEventContext } from './to-job.ts';

const context: SlackEventContext = { bot: { userId: 'U0BOT' }, jwtKey: new TextEncoder().encode('to-job-key-to-job-key-to-job-key-32'), names: new Map([['U0ANN', 'Ann']]) };
const callback = (event: Record<string, unknown>) =>
  slackEventCallbackSchema.parse({ type: 'event_callback', team_id: 'T0TEAM', event_id: 'Ev0001', event_time: 1700000000, event: { channel: 'D0ME', ts: '1700000000.000100', user: 'U0ME', ...event } });
const command = (name: string, text = '', channel = 'C0GEN') =>
  slackCommandSchema.parse({ command: name, text, team_id: 'T0TEAM', user_id: 'U0ME', channel_id: channel, response_url: 'https://hooks.slack.com/commands/x', trigger_id: '1.2.abc' });

describe('Slack events as jobs', () => {
  it('keeps a direct message thread as its own conversation, replying in it', () => {
    const work = eventToWork(callback({ type: 'message', channel_type: 'im', text: 'in a thread', thread_ts: '1699999999.000001' }), context);
    expect(work).toMatchObject({ kind: 'job', target: { id: 'D0ME', threadId: '1699999999.000001' }, job: { conversationId: 'slack-T0TEAM-D0ME-1699999999.000001', source: { direct: true } } });
  });

  it('shows the model what people read: names for mentions, links and entities decoded', () => {
    const work = eventToWork(callback({ type: 'app_mention', channel: 'C0GEN', text: '<@U0BOT> ask <@U0ANN> about <https://x.dev|the docs> &amp; <https://y.dev>' }), context);
    expect(work.kind === 'job' && work.job.input.messages[0]!.content).toBe('ask @Ann about the docs (https://x.dev) & https://y.dev');
  });

  it('ignores its own messages, a bare mention, and messages in channels that do not mention it', () => {
    expect(eventToWork(callback({ type: 'message', channel_type: 'im', user: 'U0BOT', text: 'me' }), context)).toMatchObject({ kind: 'ignore' });
    expect(eventToWork(callback({ type: 'app_mention', channel: 'C0GEN', text: '<@U0BOT>' }), context)).toMatchObject({ kind: 'ignore', reason: 'no text' });
    expect(eventToWork(callback({ type: 'message', channel: 'C0GEN', channel_type: 'channel', text: 'hi all' }), context)).toMatchObject({ kind: 'ignore' });
  });

  it('turns slash commands into the commands they stand for, never streamed (response_url takes five posts)', () => {
    expect(commandToWork(command('/model', 'gpt-4o'), context)).toMatchObject({ kind: 'job', ephemeral: true, job: { input: { messages: [{ content: '/model gpt-4o' }] }, request: { stream: false } } });
    expect(commandToWork(command('/ask', 'why?', 'D0ME'), context)).toMatchObject({ kind: 'job', ephemeral: false, job: { source: { direct: true } } });
    expect(commandToWork(command('/ask', '   '), context)).toEqual({ kind: 'ignore', reason: 'an empty question' });
    expect(commandToWork(command('/dance'), context)).toEqual({ kind: 'unknown-command', name: '/dance' });
    const work = commandToWork(command('/ask', 'q'), context);
    expect(JSON.stringify(work)).not.toContain('hooks.slack.com');
  });
});
