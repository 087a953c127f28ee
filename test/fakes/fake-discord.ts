import { generateKeyPairSync, randomBytes, sign as signEd25519, type KeyObject } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { buttonsOf, componentsOf, interactionBase, interactionOptions, person, type FakeDiscordButton, type FakeDiscordRefusal, type FakeOptionValue } from './fake-discord-interactions.ts';
import { sendJson, startFakeServer, type FakeServer, type RecordedRequest } from './fake-server.ts';

export type { FakeDiscordButton, FakeOptionValue } from './fake-discord-interactions.ts';

/**
 * A fake Discord on 127.0.0.1: the REST API (v10, JSON, `Authorization: Bot <token>`, errors as
 * `{ code, message }`, 429s with `retry_after` and the `X-RateLimit-*` headers) and the gateway (a
 * WebSocket speaking opcodes HELLO, IDENTIFY, READY, heartbeat and ACK, DISPATCH), so discord.js runs
 * unchanged against it through `rest.api`: the gateway URL comes from `GET /gateway/bot`.
 *
 * It keeps what channels show: messages as edited, with their buttons, with Discord's checks on what the
 * adapter could get wrong (empty or over-2000-character content, over-long button ids and labels) and
 * who a message would ping under its allowed_mentions. A person can press a button (`press`).
 *
 * It also posts interactions to an Interactions Endpoint URL as Discord does (`postInteraction`):
 * signed with the application's Ed25519 key (`publicKey` is its public half, as the Developer Portal
 * shows it), the HTTP answer taken as the interaction response.
 */

export interface FakeDiscordMessage {
  id: string;
  channelId: string;
  /** As sent: Discord Markdown. */
  content: string;
  /** What a person reads: formatting markers and escapes removed. */
  visible: string;
  /** The message it replies to. */
  replyTo: string | undefined;
  /** The interaction whose response (or follow-up) this is. */
  interactionId: string | undefined;
  ephemeral: boolean;
  /** Who Discord would notify: `everyone`, `user:<id>`, `role:<id>`. */
  pings: string[];
  edits: number;
  /** Its buttons (components), absent when it has none. */
  buttons?: FakeDiscordButton[];
}

export interface FakeDiscordFailure {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export interface FakeDiscord {
  /** For discord.js's `rest.api` and DISCORD_API_URL: `http://127.0.0.1:<port>/api`. */
  apiUrl: string;
  token: string;
  bot: { id: string; username: string };
  applicationId: string;
  guildId: string;
  /** A guild text channel the bot can see. */
  channelId: string;
  requests: RecordedRequest[];
  /** REST calls whose method and path (after `/api/v10`) match. */
  calls(method: string, path: RegExp): RecordedRequest[];
  /** The application commands the bot registered, as last PUT. */
  commands(): Record<string, unknown>[];
  /** Sends a gateway DISPATCH to every identified session; resolves once written. */
  dispatch(type: string, data: Record<string, unknown>): Promise<void>;
  /** A MESSAGE_CREATE from a person: in the guild channel unless `channelId`/`dm` say otherwise. Its payload. */
  /** A MESSAGE_CREATE payload from a person; `files` become attachments served from the fake's CDN path. */
  message(content: string, options?: { userId?: string; channelId?: string; dm?: boolean; mentionBot?: boolean; replyToBot?: boolean; id?: string; files?: { name: string; contentType?: string; content: string | Uint8Array }[] }): Record<string, unknown>;
  /**
   * An INTERACTION_CREATE for a slash command, its options typed as the bot registered them (a user
   * option's value a snowflake), or `{ user }` for a user option. Its payload.
   */
  interaction(name: string, options?: Record<string, FakeOptionValue>, where?: { userId?: string; channelId?: string; dm?: boolean }): Record<string, unknown>;
  /**
   * A person pressing the button labelled `label` on the newest bot message in the channel that has
   * one: an INTERACTION_CREATE of type 3 dispatched. `dm` defaults to whether the channel is a direct one. Its payload.
   */
  press(channelId: string, label: string, where?: { userId?: string; dm?: boolean }): Promise<Record<string, unknown>>;
  /** Messages the bot has in a channel (interaction responses included), oldest first. */
  messages(channelId: string): FakeDiscordMessage[];
  /** Whether an interaction was acknowledged, and how (its callback type, or the type of the HTTP answer). */
  acknowledged(interactionId: string): number | undefined;
  /** The application's public key, 32 bytes in hex: DISCORD_PUBLIC_KEY. */
  publicKey: string;
  /** X-Signature-Ed25519 and X-Signature-Timestamp for `body`, as Discord signs it; `privateKey` signs as another key would. */
  sign(body: string, options?: { timestamp?: number; privateKey?: KeyObject }): Record<string, string>;
  /**
   * Posts an interaction to `url` as Discord does (JSON, signed; `headers` override the signature's), and
   * takes a 200 answer as its response: a deferred one (type 5) shows "thinking…" until @original is edited.
   * The status and the body as answered.
   */
  postInteraction(url: string, payload: Record<string, unknown> | string, options?: { headers?: Record<string, string>; sign?: { timestamp?: number; privateKey?: KeyObject } }): Promise<{ status: number; text: string }>;
  /** The next `count` calls matching `method` and `path` fail as given. */
  failNext(method: string, path: RegExp, failure: FakeDiscordFailure, count?: number): void;
  /** The next call matching answers 429 with `retry_after` seconds, as a per-route bucket does. */
  rateLimitNext(method: string, path: RegExp, retryAfterSeconds: number): void;
  /** Sessions that sent IDENTIFY, with their intents. */
  sessions(): { intents: number }[];
  /** Heartbeats received, IDENTIFYs answered and RESUMEs refused, over the fake's life. */
  gateway(): { heartbeats: number; identifies: number; resumes: number };
  /** Whether heartbeats get their ACK (opcode 11); a client that misses one reconnects. */
  ackHeartbeats(ack: boolean): void;
  /** Closes every gateway connection, as Discord does now and then. */
  dropConnections(): void;
  close(): Promise<void>;
  server: FakeServer;
}

const discordEpoch = 1420070400000n;
let sequence = 0n;
/** A snowflake: time since Discord's epoch, shifted, plus a counter, so ids grow like the real ones. */
export const snowflake = () => String(((BigInt(Date.now()) - discordEpoch) << 22n) + (sequence++ % 4096n));

/** What a person reads in a Discord message: markers and escapes dropped, masked links as their text, code as written. */
export function discordVisible(content: string): string {
  const prose = (text: string) =>
    text
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/(?<!\\)(\*\*|~~|\*)/g, '')
      .replace(/^(#{1,3}|>) /gm, '')
      .replace(/\\([^\sa-zA-Z0-9])/g, '$1');
  // Code (fenced, or inline) shows its characters as they are; only the text around it is Markdown.
  return content
    .split(/(```[\w+#-]*\n[\s\S]*?```|`[^`]*`)/)
    .map((part, index) => (index % 2 ? part.replace(/^```[\w+#-]*\n|```$|^`|`$/g, '') : prose(part)))
    .join('')
    .replaceAll('\u200b', '');
}

/** Who a message would ping: Discord parses mentions in the content, limited by allowed_mentions (absent: all). */
function pingsOf(content: string, allowed: { parse?: string[]; users?: string[]; roles?: string[] } | undefined): string[] {
  const parse = allowed?.parse ?? (allowed ? [] : ['everyone', 'users', 'roles']);
  const pings: string[] = [];
  if (/(?<!\\)@(everyone|here)/.test(content) && parse.includes('everyone')) pings.push('everyone');
  for (const [, id] of content.matchAll(/(?<!\\)<@!?(\d+)>/g)) if (parse.includes('users') || allowed?.users?.includes(id!)) pings.push(`user:${id}`);
  for (const [, id] of content.matchAll(/(?<!\\)<@&(\d+)>/g)) if (parse.includes('roles') || allowed?.roles?.includes(id!)) pings.push(`role:${id}`);
  return pings;
}

/**
 * `messageContentIntent: false` is a bot whose Message Content intent is not enabled in the Developer
 * Portal; `heartbeatIntervalMs` is what HELLO asks for (Discord's is about 41 s).
 */
export async function startFakeDiscord({ username = 'gateway-test', botId = snowflake(), messageContentIntent = true, heartbeatIntervalMs = 41_250 } = {}): Promise<FakeDiscord> {
  const applicationId = botId;
  const guildId = snowflake();
  const channelId = snowflake();
  const token = `${Buffer.from(botId).toString('base64url')}.${randomBytes(4).toString('base64url')}.${randomBytes(20).toString('base64url')}`;
  const bot = { id: botId, username, discriminator: '0', global_name: null, avatar: null, bot: true };

  const channels = new Map<string, FakeDiscordMessage[]>();
  const interactions = new Map<string, { token: string; channelId: string; acknowledged?: number; ephemeral: boolean; original?: FakeDiscordMessage }>();
  const dmChannels = new Map<string, string>();
  let commands: Record<string, unknown>[] = [];
  const failures: { method: string; path: RegExp; failure: FakeDiscordFailure; count: number }[] = [];

  // The application's key pair: Discord signs what it posts to an Interactions Endpoint URL with the private half.
  const keys = generateKeyPairSync('ed25519');
  const publicKey = Buffer.from(keys.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');

  const inChannel = (id: string) => channels.get(id) ?? (channels.set(id, []), channels.get(id)!);
  const error = (response: ServerResponse, status: number, code: number, message: string, errors?: Record<string, unknown>) =>
    sendJson(response, status, { code, message, ...(errors ? { errors } : {}) });
  const refuse = (response: ServerResponse, { status, code, message, errors }: FakeDiscordRefusal) => error(response, status, code, message, errors);

  /** Discord's checks on message content and buttons; the message shown, or why it was refused. */
  const compose = (body: Record<string, unknown>, where: { channelId: string; interactionId?: string; ephemeral?: boolean }): FakeDiscordMessage | FakeDiscordRefusal => {
    const content = typeof body.content === 'string' ? body.content : '';
    if (!content.trim()) return { status: 400, code: 50006, message: 'Cannot send an empty message' };
    if (content.length > 2000) return { status: 400, code: 50035, message: 'Invalid Form Body\ncontent[BASE_TYPE_MAX_LENGTH]: Must be 2000 or fewer in length.' };
    const components = buttonsOf(body);
    if ('status' in components) return components;
    const reference = body.message_reference as { message_id?: string } | undefined;
    return {
      id: snowflake(),
      channelId: where.channelId,
      content,
      visible: discordVisible(content),
      replyTo: reference?.message_id,
      interactionId: where.interactionId,
      ephemeral: where.ephemeral ?? ((Number(body.flags ?? 0) & 64) !== 0),
      pings: pingsOf(content, body.allowed_mentions as never),
      edits: 0,
      ...(components.buttons ? { buttons: components.buttons } : {}),
    };
  };
  const messageObject = (message: FakeDiscordMessage) => ({
    id: message.id,
    channel_id: message.channelId,
    author: bot,
    content: message.content,
    timestamp: new Date().toISOString(),
    edited_timestamp: message.edits ? new Date().toISOString() : null,
    tts: false,
    mention_everyone: message.pings.includes('everyone'),
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: message.replyTo ? 19 : 0,
    flags: message.ephemeral ? 64 : 0,
    components: componentsOf(message.buttons),
  });
  const post = (response: ServerResponse, body: Record<string, unknown>, where: { channelId: string; interactionId?: string; ephemeral?: boolean }) => {
    const message = compose(body, where);
    if ('status' in message) return refuse(response, message);
    inChannel(where.channelId).push(message);
    sendJson(response, 200, messageObject(message));
  };
  const edit = (response: ServerResponse, message: FakeDiscordMessage | undefined, body: Record<string, unknown>) => {
    if (!message) return error(response, 404, 10008, 'Unknown Message');
    const next = compose(body, message);
    if ('status' in next) return refuse(response, next);
    Object.assign(message, { content: next.content, visible: next.visible, pings: next.pings, edits: message.edits + 1 });
    // As Discord: an edit without `components` keeps the message's buttons; `components: []` takes them away.
    if (body.components !== undefined) message.buttons = next.buttons;
    sendJson(response, 200, messageObject(message));
  };

  /** An interaction response (a callback's body, or the HTTP answer to a posted interaction) taken: why not, when it is refused. */
  const acknowledge = (id: string, body: Record<string, unknown>): FakeDiscordRefusal | undefined => {
    const interaction = interactions.get(id)!;
    const type = Number(body.type);
    const data = (body.data ?? {}) as Record<string, unknown>;
    interaction.ephemeral = (Number(data.flags ?? 0) & 64) !== 0;
    interaction.acknowledged = type;
    if (type === 5) {
      // A deferred response shows "<bot> is thinking…" until it is edited.
      const original: FakeDiscordMessage = { id: snowflake(), channelId: interaction.channelId, content: '', visible: `${username} is thinking…`, replyTo: undefined, interactionId: id, ephemeral: interaction.ephemeral, pings: [], edits: 0 };
      interaction.original = original;
      inChannel(interaction.channelId).push(original);
    } else if (type === 4) {
      const message = compose(data, { channelId: interaction.channelId, interactionId: id, ephemeral: interaction.ephemeral });
      if ('status' in message) return message;
      interaction.original = message;
      inChannel(interaction.channelId).push(message);
    }
    return undefined;
  };

  const routes: [string, RegExp, (match: RegExpExecArray, body: Record<string, unknown>, response: ServerResponse, request: RecordedRequest) => void][] = [
    ['GET', /^\/gateway\/bot$/, (_, __, response) =>
      sendJson(response, 200, { url: gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 } })],
    ['GET', /^\/users\/@me$/, (_, __, response) => sendJson(response, 200, bot)],
    ['PUT', /^\/applications\/(\d+)\/commands$/, ([, app], body, response) => {
      if (app !== applicationId) return error(response, 403, 50001, 'Missing Access');
      commands = (body as unknown as Record<string, unknown>[]).map((command) => ({ id: snowflake(), application_id: applicationId, version: snowflake(), type: 1, ...command }));
      sendJson(response, 200, commands);
    }],
    ['POST', /^\/channels\/(\d+)\/messages$/, ([, channel], body, response) => post(response, body, { channelId: channel! })],
    ['PATCH', /^\/channels\/(\d+)\/messages\/(\d+)$/, ([, channel, id], body, response) => edit(response, channels.get(channel!)?.find((message) => message.id === id && !message.interactionId), body)],
    ['POST', /^\/channels\/(\d+)\/typing$/, (_, __, response) => void response.writeHead(204).end()],
    ['POST', /^\/interactions\/(\d+)\/([\w.-]+)\/callback$/, ([, id, interactionToken], body, response) => {
      const interaction = interactions.get(id!);
      if (!interaction || interaction.token !== interactionToken) return error(response, 404, 10062, 'Unknown interaction');
      if (interaction.acknowledged !== undefined) return error(response, 400, 40060, 'Interaction has already been acknowledged.');
      const refused = acknowledge(id!, body);
      if (refused) return refuse(response, refused);
      response.writeHead(204).end();
    }],
    ['PATCH', /^\/webhooks\/(\d+)\/([\w.-]+)\/messages\/(@original|\d+)$/, ([, app, interactionToken, which], body, response) => {
      const interaction = [...interactions.values()].find((candidate) => candidate.token === interactionToken);
      if (app !== applicationId || !interaction) return error(response, 401, 50027, 'Invalid Webhook Token');
      const message = which === '@original' ? interaction.original : inChannel(interaction.channelId).find((candidate) => candidate.id === which && candidate.interactionId);
      edit(response, message, body);
    }],
    ['POST', /^\/webhooks\/(\d+)\/([\w.-]+)$/, ([, app, interactionToken], body, response) => {
      const entry = [...interactions.entries()].find(([, candidate]) => candidate.token === interactionToken);
      if (app !== applicationId || !entry) return error(response, 401, 50027, 'Invalid Webhook Token');
      post(response, body, { channelId: entry[1].channelId, interactionId: entry[0] });
    }],
  ];

  /** Attachments people sent, by path, as Discord's CDN serves them. */
  const cdn = new Map<string, Buffer>();
  const server = await startFakeServer(async (request, response) => {
    const file = request.method === 'GET' ? cdn.get(request.url.split('?')[0]!) : undefined;
    if (file) return void response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.length }).end(file);
    const url = new URL(request.url, 'http://fake');
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v10/, '');
    const failureAt = failures.findIndex((entry) => entry.method === request.method && entry.path.test(path));
    if (failureAt >= 0) {
      const entry = failures[failureAt]!;
      if (--entry.count <= 0) failures.splice(failureAt, 1);
      response.writeHead(entry.failure.status, { 'content-type': 'application/json', ...entry.failure.headers });
      return void response.end(JSON.stringify(entry.failure.body));
    }
    const route = routes.find(([method, pattern]) => method === request.method && pattern.test(path));
    if (!route) return error(response, 404, 0, '404: Not Found');
    // Interaction callbacks and webhooks are authorized by their token; everything else by the bot token.
    const byToken = /^\/(interactions|webhooks)\//.test(path);
    if (!byToken && request.headers.authorization !== `Bot ${token}`) return error(response, 401, 0, '401: Unauthorized');
    route[2](route[1].exec(path)!, (request.body ?? {}) as Record<string, unknown>, response, request);
  });

  // The gateway: HELLO on connect, READY and GUILD_CREATE after IDENTIFY, ACK for every heartbeat.
  const gateway = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => gateway.once('listening', resolve));
  const gatewayUrl = `ws://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  const identified = new Map<WebSocket, { intents: number; seq: number }>();
  let heartbeats = 0;
  let acking = true;
  let identifies = 0;
  let resumes = 0;
  const send = (socket: WebSocket, payload: Record<string, unknown>) => new Promise<void>((resolve) => socket.send(JSON.stringify(payload), () => resolve()));
  const dispatchTo = (socket: WebSocket, type: string, data: Record<string, unknown>) => {
    const session = identified.get(socket)!;
    session.seq += 1;
    return send(socket, { op: 0, t: type, s: session.seq, d: data });
  };
  gateway.on('connection', (socket) => {
    void send(socket, { op: 10, d: { heartbeat_interval: heartbeatIntervalMs } });
    socket.on('message', async (raw) => {
      const packet = JSON.parse(String(raw)) as { op: number; d: Record<string, unknown> | null };
      if (packet.op === 1) {
        heartbeats += 1;
        return void (acking && send(socket, { op: 11 }));
      }
      if (packet.op === 6) {
        resumes += 1;
        return void send(socket, { op: 9, d: false }); // no resuming here: identify afresh
      }
      if (packet.op !== 2) return;
      if (packet.d?.token !== token) return socket.close(4004, 'Authentication failed.');
      if (!messageContentIntent && Number(packet.d.intents) & (1 << 15)) return socket.close(4014, 'Disallowed intent(s).');
      identified.set(socket, { intents: Number(packet.d.intents), seq: 0 });
      identifies += 1;
      await dispatchTo(socket, 'READY', {
        v: 10,
        user: bot,
        guilds: [{ id: guildId, unavailable: true }],
        session_id: randomBytes(16).toString('hex'),
        resume_gateway_url: gatewayUrl,
        shard: [0, 1],
        application: { id: applicationId, flags: 0 },
      });
      await dispatchTo(socket, 'GUILD_CREATE', {
        id: guildId,
        name: 'Test guild',
        owner_id: snowflake(),
        unavailable: false,
        member_count: 2,
        large: false,
        joined_at: new Date().toISOString(),
        features: [],
        roles: [],
        emojis: [],
        stickers: [],
        members: [],
        presences: [],
        voice_states: [],
        threads: [],
        stage_instances: [],
        guild_scheduled_events: [],
        channels: [{ id: channelId, type: 0, guild_id: guildId, name: 'general', position: 0, permission_overwrites: [] }],
      });
    });
    socket.on('close', () => identified.delete(socket));
  });

  const dmOf = (userId: string) => dmChannels.get(userId) ?? (dmChannels.set(userId, snowflake()), dmChannels.get(userId)!);
  const fake: FakeDiscord = {
    apiUrl: `${server.origin}/api`,
    token,
    bot: { id: botId, username },
    applicationId,
    guildId,
    channelId,
    requests: server.requests,
    calls: (method, path) => server.requests.filter((request) => request.method === method && path.test(decodeURIComponent(new URL(request.url, 'http://fake').pathname).replace(/^\/api\/v10/, ''))),
    commands: () => commands,
    async dispatch(type, data) {
      // An interaction recorded elsewhere (a fixture) becomes answerable, as Discord's own are.
      if (type === 'INTERACTION_CREATE' && !interactions.has(String(data.id))) {
        interactions.set(String(data.id), { token: String(data.token), channelId: String(data.channel_id), ephemeral: false });
      }
      await Promise.all([...identified.keys()].map((socket) => dispatchTo(socket, type, data)));
    },
    message(content, { userId = '111111111111111111', channelId: channel, dm = false, mentionBot = false, replyToBot = false, id = snowflake(), files = [] } = {}) {
      const target = channel ?? (dm ? dmOf(userId) : channelId);
      const attachments = files.map((file) => {
        const attachmentId = snowflake();
        const content = Buffer.from(file.content);
        cdn.set(`/attachments/${target}/${attachmentId}/${file.name}`, content);
        const url = `${server.origin}/attachments/${target}/${attachmentId}/${file.name}`;
        return { id: attachmentId, filename: file.name, size: content.length, url, proxy_url: url, ...(file.contentType ? { content_type: file.contentType } : {}) };
      });
      const botMessage = replyToBot ? inChannel(target).at(-1) : undefined;
      return {
        id,
        channel_id: target,
        ...(dm ? {} : { guild_id: guildId, member: { roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 } }),
        author: person(userId),
        content: mentionBot ? `<@${botId}> ${content}` : content,
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
        tts: false,
        mention_everyone: false,
        mentions: mentionBot || replyToBot ? [bot] : [],
        mention_roles: [],
        attachments,
        embeds: [],
        pinned: false,
        type: replyToBot ? 19 : 0,
        ...(replyToBot && botMessage
          ? { message_reference: { type: 0, message_id: botMessage.id, channel_id: target, guild_id: guildId }, referenced_message: { ...messageObject(botMessage), author: bot } }
          : {}),
      };
    },
    interaction(name, options = {}, { userId = '111111111111111111', channelId: channel, dm = false } = {}) {
      const id = snowflake();
      const target = channel ?? (dm ? dmOf(userId) : channelId);
      const interactionToken = `aW50ZXJhY3Rpb24${randomBytes(24).toString('base64url')}`;
      interactions.set(id, { token: interactionToken, channelId: target, ephemeral: false });
      const registered = commands.find((command) => command.name === name);
      const base = interactionBase({ id, type: 2, token: interactionToken, applicationId, guildId, channelId: target, userId, dm });
      return { ...base, data: { id: snowflake(), name, type: 1, ...interactionOptions(options, registered) } };
    },
    async press(channel, label, { userId = '111111111111111111', dm = [...dmChannels.values()].includes(channel) } = {}) {
      const message = inChannel(channel).findLast((candidate) => candidate.buttons?.some((button) => button.label === label));
      const button = message?.buttons?.find((candidate) => candidate.label === label);
      if (!message || !button) throw new Error(`no bot message in channel ${channel} has a button labelled ${JSON.stringify(label)}`);
      const id = snowflake();
      const interactionToken = `aW50ZXJhY3Rpb24${randomBytes(24).toString('base64url')}`;
      interactions.set(id, { token: interactionToken, channelId: channel, ephemeral: false });
      const payload = {
        ...interactionBase({ id, type: 3, token: interactionToken, applicationId, guildId, channelId: channel, userId, dm }),
        // An ephemeral message comes back with only its id and flags, as Discord sends it.
        message: message.ephemeral ? { id: message.id, flags: 64 } : messageObject(message),
        data: { custom_id: button.customId, component_type: 2 },
      };
      await fake.dispatch('INTERACTION_CREATE', payload);
      return payload;
    },
    messages: (channel) => channels.get(channel) ?? [],
    acknowledged: (interactionId) => interactions.get(interactionId)?.acknowledged,
    publicKey,
    sign(body, { timestamp = Math.floor(Date.now() / 1000), privateKey = keys.privateKey } = {}) {
      const signature = signEd25519(null, Buffer.from(`${timestamp}${body}`), privateKey).toString('hex');
      return { 'x-signature-ed25519': signature, 'x-signature-timestamp': String(timestamp) };
    },
    async postInteraction(url, payload, { headers = {}, sign: signing } = {}) {
      const raw = typeof payload === 'string' ? payload : JSON.stringify(payload);
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'Discord-Interactions/1.0 (+https://discord.com)', ...fake.sign(raw, signing), ...headers }, body: raw });
      const text = await response.text();
      const id = typeof payload === 'string' ? undefined : String(payload.id);
      // Discord takes the first answer to an interaction; a second one (a replayed request) changes nothing.
      if (response.status === 200 && id && interactions.get(id)?.acknowledged === undefined) {
        const answer = JSON.parse(text) as Record<string, unknown>;
        if (answer.type !== 1) acknowledge(id, answer);
      }
      return { status: response.status, text };
    },
    failNext(method, path, failure, count = 1) {
      failures.push({ method, path, failure, count });
    },
    rateLimitNext(method, path, retryAfterSeconds) {
      fake.failNext(method, path, {
        status: 429,
        body: { message: 'You are being rate limited.', retry_after: retryAfterSeconds, global: false },
        headers: {
          'retry-after': String(Math.ceil(retryAfterSeconds)),
          'x-ratelimit-limit': '5',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset-after': String(retryAfterSeconds),
          'x-ratelimit-bucket': 'fake-bucket',
          'x-ratelimit-scope': 'user',
        },
      });
    },
    sessions: () => [...identified.values()].map(({ intents }) => ({ intents })),
    gateway: () => ({ heartbeats, identifies, resumes }),
    ackHeartbeats(ack) {
      acking = ack;
    },
    dropConnections() {
      // Discord closing the connection (a deploy, a network blip): the client reconnects.
      for (const socket of gateway.clients) socket.close(4000, 'Unknown error.');
    },
    async close() {
      for (const socket of gateway.clients) socket.terminate();
      await new Promise<void>((resolve) => gateway.close(() => resolve()));
      await server.close();
    },
    server,
  };
  return fake;
}
