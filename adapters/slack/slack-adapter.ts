import { setTimeout as sleep } from 'node:timers/promises';
import { AttachmentError, readAttachment } from '../kit/attachments.ts';
import { App } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { FastifyPluginAsync } from 'fastify';
import { eventReporter, type ChatAdapter, type ChatAdapterParts, type ChatEventOutcome } from '../kit/chat-adapter.ts';
import { ChatReplies } from '../kit/chat-replies.ts';
import { oversizedNote } from '../kit/gateway-note.ts';
import { chatMetrics } from '../kit/chat-metrics.ts';
import { slackCommands } from './commands.ts';
import { boltLogger, FastifySlackReceiver, ownWork, SocketSlackReceiver } from './receivers.ts';
import { slackBlockActionsSchema, slackCommandSchema, slackEventCallbackSchema } from './slack-events.ts';
import { slackTransport, type CommandGrant } from './slack-transport.ts';
import { commandToWork, eventToWork, pressToWork, type SlackEventContext, type SlackInteractionWork } from './to-job.ts';

export interface SlackAdapterOptions extends Omit<ChatAdapterParts, 'stallMs'> {
  /** SLACK_BOT_TOKEN (`xoxb-…`). */
  token: string;
  /** SLACK_SIGNING_SECRET: checks every request of the Events API over HTTP. */
  signingSecret?: string;
  /** SLACK_APP_TOKEN (`xapp-…`): set, events come over Socket Mode instead of HTTP. */
  appToken?: string;
  /** SLACK_API_URL, with its trailing slash. Default: https://slack.com/api/. */
  apiUrl?: string;
  /** SLACK_EVENTS_PATH: where Slack posts events and commands on this server. Default: /slack/events. */
  eventsPath?: string;
  /** Told each event's outcome once handled (tests, diagnostics). */
  onEvent?: (outcome: ChatEventOutcome) => void;
}

export interface SlackAdapter extends ChatAdapter {
  bot: { userId: string; name: string; team: string };
  /** The Events API endpoint to mount on the HTTP server, when events come over HTTP. */
  webhook?: FastifyPluginAsync;
}

/** Acknowledges a command or a press, with what the command's answer shows at once. */
type Ack = (response?: unknown) => Promise<void>;

/** A response_url answers for 30 minutes; kept a little less. */
const responseWindowMs = 29.5 * 60_000;

/** Why Slack cannot start, in words; never the token. */
function startupError(variable: string, error: unknown): Error {
  const code = (error as { data?: { error?: string } }).data?.error;
  if (code) return new Error(`Slack refused ${variable} (${code}).`);
  return new Error(`Slack could not be reached: ${(error as Error).message}`);
}

/**
 * The Slack adapter on @slack/bolt: the Events API over HTTP (signed requests, mounted on the
 * platform's server) or Socket Mode; mentions and direct messages answered in their thread, slash
 * commands and button presses acknowledged at once and answered through their response_url; replies
 * in mrkdwn, split to 4000 characters, streamed as throttled `chat.update`s, their actions as buttons.
 * An event is acknowledged only once it is queued, so one that could not be is sent again by Slack,
 * and its id makes it the same job.
 */
export async function startSlackAdapter(options: SlackAdapterOptions): Promise<SlackAdapter> {
  const { token, signingSecret, appToken, apiUrl = 'https://slack.com/api/', eventsPath = '/slack/events', jwtKey, enqueue, tokens, log } = options;
  // Our delivery owns retrying (it knows what must not be sent twice), and waits out rate limits itself.
  const clientOptions = { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logger: boltLogger(log) };
  const client = new WebClient(token, clientOptions);
  let auth: { user_id?: string; user?: string; team?: string; team_id?: string; bot_id?: string };
  try {
    auth = await client.auth.test();
  } catch (error) {
    throw startupError('SLACK_BOT_TOKEN', error);
  }
  const bot = { userId: auth.user_id ?? '', name: auth.user ?? 'bot', team: auth.team ?? auth.team_id ?? '' };
  const report = eventReporter('slack', options.onEvent);

  const replies = new ChatReplies({ transport: slackTransport({ client, tokens }), parts: options });

  /** Display names of mentioned users (users.info), remembered: best effort, a mention stays an id otherwise. */
  const names = new Map<string, string>();
  const learnNames = async (text: string) => {
    const unknown = [...new Set([...text.matchAll(/<@([A-Z0-9]+)(?:\|[^>]*)?>/g)].map((match) => match[1]!))].filter((id) => id !== bot.userId && !names.has(id));
    await Promise.all(
      unknown.slice(0, 10).map(async (id) => {
        const info = await client.users.info({ user: id }).catch(() => undefined);
        const name = info?.user?.profile?.display_name || info?.user?.real_name || info?.user?.name;
        if (name) names.set(id, name);
      }),
    );
  };
  const context: SlackEventContext = { bot, jwtKey, names };


  const onEvent = async (body: unknown) => {
    const parsed = slackEventCallbackSchema.safeParse(body);
    const eventId = String((body as { event_id?: unknown } | undefined)?.event_id ?? '?');
    if (!parsed.success) return report({ eventId, kind: 'ignore', reason: 'an event that does not match the Events API schema' });
    // Names are a nicety: never worth holding the acknowledgement (Slack's 3 seconds) for longer than a second.
    await Promise.race([learnNames(parsed.data.event.text), sleep(1000, undefined, { ref: false })]);
    const work = eventToWork(parsed.data, context);
    if (work.kind === 'ignore') return report({ eventId, kind: 'ignore', reason: work.reason });
    if (work.kind === 'unsupported') {
      await replies.cannotRead(work.jobId, work.target, work.what);
      return report({ eventId, kind: 'unsupported' });
    }
    const tooLong = oversizedNote(work.job);
    if (tooLong) {
      await replies.note(work.job.id, work.target, tooLong);
      return report({ eventId, kind: 'unsupported' });
    }
    if (work.downloads) {
      try {
        // Slack's private file URLs take the bot token, which stays here, never in the job.
        const attachments = await Promise.all(work.downloads.map(({ url, ...file }) => readAttachment(url, file, { authorization: `Bearer ${token}` })));
        work.job.input = { ...work.job.input, attachments };
      } catch (error) {
        if (!(error instanceof AttachmentError)) throw error;
        await replies.note(work.job.id, work.target, error.message);
        return report({ eventId, kind: 'unsupported' });
      }
    }
    // A failure here is thrown: the event stays unacknowledged and Slack sends it again.
    await enqueue(work.job);
    await replies.follow(work.job, work.target);
    report({ eventId, kind: 'job' });
  };

  /**
   * A command's or a press's job, its response_url kept for the answer, acknowledged once queued.
   * Slack sends neither again, so one that could not be queued is refused in words at once.
   */
  const take = async (work: Extract<SlackInteractionWork, { kind: 'job' }>, responseUrl: string, eventId: string, ack: Ack, refuse: (text: string) => Promise<void>) => {
    const grant: CommandGrant = { responseUrl, ephemeral: work.ephemeral };
    const tooLong = oversizedNote(work.job);
    if (tooLong) {
      await refuse(tooLong);
      return report({ eventId, kind: 'unsupported' });
    }
    try {
      await tokens.save(work.target.interactionId!, JSON.stringify(grant), responseWindowMs);
      await enqueue(work.job);
    } catch (error) {
      log.error({ jobId: work.job.id, reason: (error as Error).message }, 'a Slack command could not be queued');
      await refuse("I couldn't take that just now. Please try again in a moment.");
      return report({ eventId, kind: 'failed', reason: 'queue unavailable' });
    }
    await ack();
    await replies.follow(work.job, work.target);
    report({ eventId, kind: 'job' });
  };

  const onCommand = async (body: unknown, ack: Ack) => {
    const parsed = slackCommandSchema.safeParse(body);
    const eventId = String((body as { trigger_id?: unknown } | undefined)?.trigger_id ?? '?');
    if (!parsed.success) {
      await ack({ response_type: 'ephemeral', text: 'That command arrived malformed; please try again.' });
      return report({ eventId, kind: 'ignore', reason: 'a command that does not match the slash command schema' });
    }
    const work = commandToWork(parsed.data, context);
    if (work.kind === 'unknown-command') {
      await ack({ response_type: 'ephemeral', text: `I don't know ${work.name}. Try ${slackCommands.map((command) => `/${command.name}`).join(', ')}.` });
      return report({ eventId, kind: 'unknown-command' });
    }
    if (work.kind === 'ignore') {
      await ack({ response_type: 'ephemeral', text: 'Add your question after the command: /ask what is a monad?' });
      return report({ eventId, kind: 'ignore', reason: work.reason });
    }
    // Within Slack's 3 seconds, the acknowledgement itself carries the refusal.
    await take(work, parsed.data.response_url, eventId, ack, (text) => ack({ response_type: 'ephemeral', text }));
  };

  const onPress = async (body: unknown, ack: Ack) => {
    const parsed = slackBlockActionsSchema.safeParse(body);
    const eventId = String((body as { trigger_id?: unknown } | undefined)?.trigger_id ?? '?');
    const work = parsed.success ? pressToWork(parsed.data, context) : ({ kind: 'ignore', reason: 'a press that does not match the block_actions schema' } as const);
    if (work.kind === 'ignore') {
      // Acknowledged all the same: an unacknowledged press shows the presser a warning.
      await ack();
      return report({ eventId, kind: 'ignore', reason: work.reason });
    }
    // A press's acknowledgement carries no message: a refusal goes through its response_url.
    const responseUrl = parsed.data!.response_url;
    await take(work, responseUrl, eventId, ack, async (text) => {
      await ack();
      await fetch(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text, response_type: 'ephemeral', replace_original: false }),
        signal: AbortSignal.timeout(5000),
      }).catch((error: Error) => log.warn({ reason: error.message }, 'could not tell a Slack user their press was not taken'));
    });
  };

  const receiver = appToken ? new SocketSlackReceiver({ appToken, apiUrl, log }) : new FastifySlackReceiver({ signingSecret: signingSecret ?? '', path: eventsPath, log });
  const bolt = new App({ token, botId: auth.bot_id, botUserId: bot.userId, receiver, clientOptions, logger: boltLogger(log), tokenVerificationEnabled: false });
  // Wrapped, so the receiver tells our failures (Slack should retry) from bolt's refusals of a body (it should not).
  bolt.event('app_mention', ({ body }) => ownWork(() => onEvent(body)));
  bolt.message(({ body }) => ownWork(() => onEvent(body)));
  bolt.command(/.*/, ({ body, ack }) => ownWork(() => onCommand(body, ack as Ack)));
  // Every button press (block_actions) in either receiver: the buttons' values are commands.
  bolt.action({ type: 'block_actions' }, ({ body, ack }) => ownWork(() => onPress(body, ack as Ack)));

  let connected = !appToken;
  if (receiver instanceof SocketSlackReceiver) {
    receiver.client.on('connected', () => ((connected = true), chatMetrics.up.set({ adapter: 'slack' }, 1)));
    receiver.client.on('disconnected', () => ((connected = false), chatMetrics.up.set({ adapter: 'slack' }, 0)));
  }
  try {
    await bolt.start();
  } catch (error) {
    await replies.close();
    throw startupError('SLACK_APP_TOKEN', error);
  }
  chatMetrics.up.set({ adapter: 'slack' }, connected ? 1 : 0);
  log.info({ bot: bot.name, team: bot.team, mode: appToken ? 'socket mode' : 'events api' }, 'Slack adapter started');

  return {
    bot,
    deliver: (reply) => replies.deliver(reply),
    webhook: receiver instanceof FastifySlackReceiver ? receiver.plugin : undefined,
    async health() {
      if (!appToken) return { ok: true, detail: `@${bot.name} in ${bot.team}, Events API at ${eventsPath}` };
      return { ok: connected, detail: `@${bot.name} in ${bot.team}, Socket Mode ${connected ? 'connected' : 'disconnected'}` };
    },
    async close() {
      await bolt.stop().catch(() => {});
      await replies.close();
      chatMetrics.up.set({ adapter: 'slack' }, 0);
    },
  };
}
