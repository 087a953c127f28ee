import { once } from 'node:events';
import { AttachmentError, readAttachment } from '../kit/attachments.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, DiscordAPIError, Events, GatewayIntentBits, MessageFlags, Options, Routes, Status } from 'discord.js';
import type { FastifyPluginAsync } from 'fastify';
import type { InboundJobInput } from '../../core/contracts/job.ts';
import { GatewayError } from '../../core/errors/gateway-error.ts';
import { chatMetrics } from '../kit/chat-metrics.ts';
import type { ChatTransport } from '../kit/chat-transport.ts';
import { eventReporter, type ChatAdapter, type ChatAdapterParts, type ChatEventOutcome } from '../kit/chat-adapter.ts';
import { ChatReplies } from '../kit/chat-replies.ts';
import { oversizedNote } from '../kit/gateway-note.ts';
import { commandRegistrations } from './commands.ts';
import { discordInteractionSchema, discordMessageSchema, type DiscordInteraction } from './discord-events.ts';
import { discordTransport, type InteractionGrant } from './discord-transport.ts';
import { defaultInteractionsPath, interactionsEndpoint, type InteractionResponder } from './interactions-endpoint.ts';
import { interactionToEvent, messageToEvent, type DiscordBot, type DiscordEventContext } from './to-job.ts';

export interface DiscordAdapterOptions extends Omit<ChatAdapterParts, 'stallMs'> {
  /** DISCORD_BOT_TOKEN. */
  token: string;
  /** DISCORD_API_URL: the REST API's base, without the version. Default: https://discord.com/api. */
  apiUrl?: string;
  /** DISCORD_CHANNELS: channel ids where every message is answered, not only mentions and replies. */
  channels?: string[];
  /**
   * DISCORD_PUBLIC_KEY: the application's public key (hex). Set: interactions are also taken at the
   * Interactions Endpoint URL (`webhook`), as Discord posts them once that URL is set in the Developer Portal.
   */
  publicKey?: string;
  /** Where the Interactions Endpoint URL is served. Default: /discord/interactions. */
  interactionsPath?: string;
  /** The longest discord.js waits out a rate limit inside one call; longer ones go back to the queue. Default: 30 s. */
  maxRateLimitWaitMs?: number;
  /** The first wait before trying the queue again, doubled each time, four times. Default: 500 ms. */
  queueRetryMs?: number;
  /** Told each event's outcome once handled (tests, diagnostics). */
  onEvent?: (outcome: ChatEventOutcome) => void;
}

export interface DiscordAdapter extends ChatAdapter {
  bot: DiscordBot;
  /** The Interactions Endpoint URL to mount on the HTTP server, when DISCORD_PUBLIC_KEY is set. */
  webhook?: FastifyPluginAsync;
}

/** Discord's interaction tokens answer for 15 minutes; kept a little less, so none is used as it expires. */
const interactionWindowMs = 14.5 * 60_000;
/** Deferred response: "<bot> is thinking…", edited into the answer. */
const deferredResponse = 5;
const immediateResponse = 4;

/** Why the gateway connection cannot start, in words; never the token. */
function startupError(error: unknown): Error {
  // discord.js reports gateway close codes only in words (@discordjs/ws: "Authentication failed", "Used disallowed intents").
  const failure = error as { status?: number; code?: string | number; message?: string };
  if (failure.status === 401 || failure.code === 'TokenInvalid' || failure.message === 'Authentication failed') return new Error('Discord refused DISCORD_BOT_TOKEN (401 Unauthorized).');
  if (failure.message === 'Used disallowed intents') {
    return new Error('Discord refused the Message Content intent: enable it for the bot in the Developer Portal (Bot → Privileged Gateway Intents).');
  }
  return new Error(`Discord could not be reached: ${failure.message ?? String(error)}`);
}

/**
 * The Discord adapter: discord.js keeps the gateway session (identify, heartbeats, resume, reconnect)
 * and paces REST calls by Discord's rate-limit buckets; the adapter reads the raw dispatches, validated
 * here, so no cache decides what is seen. Messages, slash commands and presses of the bot's buttons
 * become jobs keyed by their ids; replies come back through the outbound queue as Discord Markdown,
 * split to 2000 characters, streamed as throttled edits, pinging no one, with their buttons.
 */
export async function startDiscordAdapter(options: DiscordAdapterOptions): Promise<DiscordAdapter> {
  const { token, apiUrl = 'https://discord.com/api', jwtKey, enqueue, records, tokens, log, maxRateLimitWaitMs = 30_000, queueRetryMs = 500 } = options;
  const { publicKey, interactionsPath = defaultInteractionsPath } = options;
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages, GatewayIntentBits.MessageContent],
    // Our delivery owns retrying (it knows what must not be sent twice); short rate limits are waited out in the call.
    rest: { api: apiUrl, retries: 0, rejectOnRateLimit: (limit) => limit.retryAfter > maxRateLimitWaitMs },
    makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, MessageManager: 0 }),
  });
  const report = eventReporter('discord', options.onEvent);

  // Dispatches are taken from the first one on, and held until the adapter is ready for them.
  const early: { t: string; d: unknown }[] = [];
  let take: (packet: { t: string; d: unknown }) => void = (packet) => early.push(packet);
  client.on(Events.Raw, (packet: { t?: string; d?: unknown }) => {
    if (packet.t === 'MESSAGE_CREATE' || packet.t === 'INTERACTION_CREATE') take({ t: packet.t, d: packet.d });
  });
  client.on(Events.ShardReady, () => chatMetrics.up.set({ adapter: 'discord' }, 1));
  client.on(Events.ShardResume, () => chatMetrics.up.set({ adapter: 'discord' }, 1));
  client.on(Events.ShardDisconnect, () => chatMetrics.up.set({ adapter: 'discord' }, 0));
  client.on(Events.ShardReconnecting, () => chatMetrics.up.set({ adapter: 'discord' }, 0));
  client.on(Events.Error, (error) => log.warn({ reason: error.message }, 'Discord client error'));

  try {
    const ready = once(client, Events.ClientReady, { signal: AbortSignal.timeout(60_000) });
    await client.login(token);
    await ready;
  } catch (error) {
    await client.destroy();
    throw startupError(error);
  }
  const bot: DiscordBot = { id: client.user!.id, username: client.user!.username };
  const applicationId = client.application!.id;
  const { rest } = client;

  const transport: ChatTransport = discordTransport({ rest, applicationId, tokens });
  const replies = new ChatReplies({ transport, parts: options, maxRateLimitWaitMs });
  const context: DiscordEventContext = {
    bot,
    jwtKey,
    channels: new Set(options.channels ?? []),
    parentOf: (channelId) => {
      const channel = client.channels.cache.get(channelId);
      return channel && 'parentId' in channel ? (channel.parentId ?? undefined) : undefined;
    },
  };

  /** The queue briefly away (a Redis failover) is waited out: the gateway does not deliver an event twice. */
  const enqueueSafely = async (job: InboundJobInput) => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await enqueue(job);
      } catch (error) {
        if (attempt >= 4) throw error;
        log.warn({ jobId: job.id, reason: (error as Error).message }, 'could not queue a Discord event; trying again');
        await sleep(queueRetryMs * 2 ** attempt);
      }
    }
  };
  const sorry = "I couldn't take your message just now. Please send it again in a moment.";

  const onMessage = async (raw: unknown) => {
    const parsed = discordMessageSchema.safeParse(raw);
    const eventId = String((raw as { id?: unknown } | undefined)?.id ?? '?');
    if (!parsed.success) return report({ eventId, kind: 'ignore', reason: 'a message that does not match the gateway schema' });
    const event = messageToEvent(parsed.data, context);
    if (event.kind === 'ignore') return report({ eventId, kind: 'ignore', reason: event.reason });
    if (event.kind === 'unsupported') {
      await replies.cannotRead(event.jobId, event.target, event.what);
      return report({ eventId, kind: 'unsupported' });
    }
    const tooLong = oversizedNote(event.job);
    if (tooLong) {
      await replies.note(event.job.id, event.target, tooLong);
      return report({ eventId, kind: 'unsupported' });
    }
    try {
      if (event.downloads) {
        // Discord's attachment URLs are signed and need no token.
        const attachments = await Promise.all(event.downloads.map(({ url, ...file }) => readAttachment(url, file)));
        event.job.input = { ...event.job.input, attachments };
      }
      await enqueueSafely(event.job);
    } catch (error) {
      if (error instanceof AttachmentError) {
        await replies.note(event.job.id, event.target, error.message);
        return report({ eventId, kind: 'unsupported' });
      }
      log.error({ jobId: event.job.id, reason: (error as Error).message }, 'a Discord message could not be queued');
      await transport.send(event.target, sorry, { plain: true, replyToMessageId: event.target.messageId }).catch(() => {});
      return report({ eventId, kind: 'failed', reason: 'queue unavailable' });
    }
    await replies.follow(event.job, event.target);
    report({ eventId, kind: 'job' });
  };

  /**
   * One interaction, from the gateway or the Interactions Endpoint URL alike: `respond` sends the
   * interaction response (a REST callback, or the HTTP answer), and goes first, as Discord waits only
   * 3 seconds for it. The job is keyed by the interaction id, so a replay is the same job, answered once.
   */
  const answerInteraction = async (interaction: DiscordInteraction, respond: InteractionResponder) => {
    const eventId = interaction.id;
    const event = interactionToEvent(interaction, context);
    if (event.kind === 'ignore') return report({ eventId, kind: 'ignore', reason: event.reason });
    if (event.kind === 'unknown-command') {
      await respond(immediateResponse, { content: `I don't know /${event.name}. /help lists my commands.`, flags: MessageFlags.Ephemeral, allowed_mentions: { parse: [] } });
      return report({ eventId, kind: 'unknown-command' });
    }
    if (event.kind !== 'job') return;
    const { job, target, ephemeral } = event;
    // A button press is answered like a slash command: a new response (type 5), the pressed message left as it was.
    // Discord waits 3 seconds for an acknowledgement: it goes first, before anything that could be slow.
    try {
      await respond(deferredResponse, ephemeral ? { flags: MessageFlags.Ephemeral } : {});
    } catch (error) {
      // Acknowledged already: this is a replay of an interaction that is in hand.
      if (!(error instanceof DiscordAPIError && error.code === 40060)) throw error;
    }
    const grant: InteractionGrant = { token: interaction.token, ephemeral };
    await tokens.save(interaction.id, JSON.stringify(grant), interactionWindowMs);
    // The deferred response is the reply's first message, a draft to be edited like a live one.
    if ((await records.claim(job.id, 'p0')) === undefined) await records.record(job.id, 'p0', 'draft:@original');
    try {
      await enqueueSafely(job);
    } catch (error) {
      log.error({ jobId: job.id, reason: (error as Error).message }, 'a Discord command could not be queued');
      await transport.edit(target, '@original', sorry, { plain: true }).catch(() => {});
      return report({ eventId, kind: 'failed', reason: 'queue unavailable' });
    }
    await replies.follow(job, target);
    report({ eventId, kind: 'job' });
  };

  /** From the gateway: answered by Discord's callback route. */
  const onInteraction = async (raw: unknown) => {
    const parsed = discordInteractionSchema.safeParse(raw);
    const eventId = String((raw as { id?: unknown } | undefined)?.id ?? '?');
    if (!parsed.success) return report({ eventId, kind: 'ignore', reason: 'an interaction that does not match the gateway schema' });
    const interaction = parsed.data;
    await answerInteraction(interaction, async (type, data) => {
      await rest.post(Routes.interactionCallback(interaction.id, interaction.token), { body: { type, data }, auth: false });
    });
  };

  // Events in hand, from the gateway and the endpoint alike: closing waits for them.
  const inFlight = new Set<Promise<void>>();
  const keep = (eventId: string, work: Promise<void>) => {
    const done = work
      .catch((error: unknown) => {
        log.warn({ reason: (error as Error).message }, 'could not handle a Discord event');
        report({ eventId, kind: 'failed', reason: (error as Error).message });
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  };
  const handle = (packet: { t: string; d: unknown }) =>
    keep(String((packet.d as { id?: unknown } | undefined)?.id ?? '?'), packet.t === 'MESSAGE_CREATE' ? onMessage(packet.d) : onInteraction(packet.d));
  take = handle;
  for (const packet of early.splice(0)) handle(packet);

  let closing = false;
  const webhook = publicKey
    ? interactionsEndpoint({
        publicKey,
        path: interactionsPath,
        handle: async (interaction, respond) => {
          if (closing) throw new GatewayError('shutting_down', 'The Discord adapter is shutting down; Discord shows the person that the interaction failed.');
          const work = answerInteraction(interaction, respond);
          keep(interaction.id, work);
          return work;
        },
      })
    : undefined;

  // Bulk overwrite: the same list every start, so registering is idempotent across restarts and replicas.
  await rest
    .put(Routes.applicationCommands(applicationId), { body: commandRegistrations() })
    .catch((error: unknown) => log.warn({ reason: (error as Error).message }, 'could not register the slash commands'));
  log.info({ bot: bot.username, channels: context.channels.size, interactions: webhook ? interactionsPath : 'gateway' }, 'Discord adapter started');

  return {
    bot,
    deliver: (reply) => replies.deliver(reply),
    webhook,
    async health() {
      const status = client.ws.status;
      const endpoint = webhook ? `, interactions at ${interactionsPath}` : '';
      return { ok: status === Status.Ready, detail: `@${bot.username}, gateway ${Status[status]?.toLowerCase() ?? status}, heartbeat ${client.ws.ping} ms${endpoint}` };
    },
    async close() {
      take = () => {};
      closing = true;
      await Promise.all(inFlight);
      await replies.close();
      await client.destroy();
      chatMetrics.up.set({ adapter: 'discord' }, 0);
    },
  };
}
