import { describe, expect, it } from 'vitest';
import { slackBlockActionsSchema, slackCommandSchema, slackEventCallbackSchema } from './slack-events.ts';
import { commandToWork, eventToWork, pressToWork, type SlackEventContext } from './to-job.ts';

const context: SlackEventContext = { bot: { userId: 'U0BOT' }, jwtKey: new TextEncoder().encode('to-job-key-to-job-key-to-job-key-32'), names: new Map([['U0ANN', 'Ann']]) };
const callback = (event: Record<string, unknown>) =>
  slackEventCallbackSchema.parse({ type: 'event_callback', team_id: 'T0TEAM', event_id: 'Ev0001', event_time: 1700000000, event: { channel: 'D0ME', ts: '1700000000.000100', user: 'U0ME', ...event } });
const command = (name: string, text = '', channel = 'C0GEN') =>
  slackCommandSchema.parse({ command: name, text, team_id: 'T0TEAM', user_id: 'U0ME', channel_id: channel, response_url: 'https://hooks.slack.com/commands/x', trigger_id: '1.2.abc' });

const press = (value: string, { channel = 'C0GEN', ephemeral = false, threadTs }: { channel?: string; ephemeral?: boolean; threadTs?: string } = {}) =>
  slackBlockActionsSchema.parse({
    type: 'block_actions',
    team: { id: 'T0TEAM', domain: 'team' },
    user: { id: 'U0ME', username: 'me', team_id: 'T0TEAM' },
    channel: { id: channel, name: 'general' },
    container: { type: 'message', message_ts: '1700000000.000200', channel_id: channel, is_ephemeral: ephemeral, ...(threadTs ? { thread_ts: threadTs } : {}) },
    response_url: 'https://hooks.slack.com/actions/T0TEAM/1/x',
    trigger_id: '3.4.press',
    actions: [{ type: 'button', action_id: 'gateway_command_0', block_id: 'b', value, text: { type: 'plain_text', text: 'Confirm' } }],
  });

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
    expect(commandToWork(command('/model', 'gpt-4o'), context)).toMatchObject({ kind: 'job', ephemeral: false, job: { input: { messages: [{ content: '/model gpt-4o' }] }, request: { stream: false }, source: { direct: false } } });
    // Private commands (core's commandSpecs say which) are answered only to their caller, as if direct.
    expect(commandToWork(command('/usage', 'all 7'), context)).toMatchObject({ kind: 'job', ephemeral: true, job: { input: { messages: [{ content: '/usage all 7' }] }, source: { direct: true } } });
    expect(commandToWork(command('/ask', 'why?', 'D0ME'), context)).toMatchObject({ kind: 'job', ephemeral: false, job: { source: { direct: true } } });
    expect(commandToWork(command('/ask', '   '), context)).toEqual({ kind: 'ignore', reason: 'an empty question' });
    expect(commandToWork(command('/dance'), context)).toEqual({ kind: 'unknown-command', name: '/dance' });
    const work = commandToWork(command('/ask', 'q'), context);
    expect(JSON.stringify(work)).not.toContain('hooks.slack.com');
  });

  it('names the people a command mentions by their identity, and those an ordinary message mentions by name', () => {
    expect(commandToWork(command('/role', '<@U0ANN|ann> admin'), context)).toMatchObject({ job: { input: { messages: [{ content: '/role slack:T0TEAM:U0ANN admin' }] } } });
    expect(commandToWork(command('/block', '<@U0BOB>'), context)).toMatchObject({ job: { input: { messages: [{ content: '/block slack:T0TEAM:U0BOB' }] } } });
    const mentioned = eventToWork(callback({ type: 'app_mention', channel: 'C0GEN', text: '<@U0BOT> /limits <@U0ANN> 10 default' }), context);
    expect(mentioned.kind === 'job' && mentioned.job.input.messages[0]!.content).toBe('/limits slack:T0TEAM:U0ANN 10 default');
    const direct = eventToWork(callback({ type: 'message', channel_type: 'im', text: '/allow <@U0BOB>' }), context);
    expect(direct.kind === 'job' && direct.job.input.messages[0]!.content).toBe('/allow slack:T0TEAM:U0BOB');
    // A question is not a command: people read names there.
    expect(commandToWork(command('/ask', 'what did <@U0ANN> say?'), context)).toMatchObject({ job: { input: { messages: [{ content: 'what did @Ann say?' }] } } });
  });

  it('turns a button press into its command, from the presser, in the pressed chat, answered through its response_url', () => {
    const work = pressToWork(press('/confirm ABCDEFGH'), context);
    expect(work).toMatchObject({
      kind: 'job',
      ephemeral: false,
      target: { id: 'C0GEN', interactionId: '3.4.press' },
      job: { id: 'slack-3.4.press', conversationId: 'slack-T0TEAM-C0GEN', input: { messages: [{ content: '/confirm ABCDEFGH' }] }, source: { direct: false }, request: { stream: false } },
    });
    expect(JSON.stringify(work)).not.toContain('hooks.slack.com');
    // Under an ephemeral message, or in a direct message, only the presser reads the answer.
    expect(pressToWork(press('/cancel ABCDEFGH', { ephemeral: true }), context)).toMatchObject({ ephemeral: true, job: { source: { direct: true } } });
    expect(pressToWork(press('/cancel ABCDEFGH', { channel: 'D0ME' }), context)).toMatchObject({ ephemeral: false, job: { source: { direct: true } } });
    // In a thread, the thread's conversation.
    expect(pressToWork(press('/confirm ABCDEFGH', { threadTs: '1699999999.000001' }), context)).toMatchObject({ job: { conversationId: 'slack-T0TEAM-C0GEN-1699999999.000001' } });
    expect(pressToWork(press('yes'), context)).toEqual({ kind: 'ignore', reason: 'a button that is not a command' });
  });

  it('refuses a press without its team, user, channel or response_url', () => {
    const valid = press('/confirm ABCDEFGH');
    for (const without of ['user', 'channel', 'response_url', 'trigger_id', 'actions'] as const) {
      const { [without]: _, ...rest } = valid;
      expect(slackBlockActionsSchema.safeParse(rest).success).toBe(false);
    }
    expect(slackBlockActionsSchema.safeParse({ ...valid, team: null, user: { id: 'U0ME' } }).success).toBe(false);
    expect(slackBlockActionsSchema.safeParse({ ...valid, team: null }).success).toBe(true);
  });
});
