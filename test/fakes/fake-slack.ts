import { createHmac, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { sendJson, startFakeServer, type FakeServer, type RecordedRequest } from './fake-server.ts';

/**
 * A fake Slack on 127.0.0.1: the Web API (`POST /api/<method>`, form or JSON bodies, `Authorization:
 * Bearer`, answers `{ ok, … }` or `{ ok: false, error }`, 429 with `Retry-After`), the response URLs
 * of slash commands and button presses, and Socket Mode (apps.connections.open → a WebSocket: `hello`,
 * envelopes, acks), so bolt and its WebClient run unchanged against it through `slackApiUrl`.
 *
 * It keeps what channels show, threads, edits and buttons (Block Kit's actions blocks) included, and
 * signs requests as Slack does, for tests to post events, commands and presses to the platform's receiver.
 */

/** A button under a message, from its actions block. */
export interface FakeSlackButton {
  label: string;
  value: string;
  actionId: string;
  style?: string;
}

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  /** As sent: mrkdwn; with blocks, the notification's fallback. */
  text: string;
  /** What a person reads (the blocks' sections when it has them): markers removed, links as their text, entities decoded. */
  visible: string;
  /** Buttons under it, when it has an actions block. */
  buttons?: FakeSlackButton[];
  threadTs: string | undefined;
  /** Posted through a slash command's response_url, and how. */
  responseType: 'ephemeral' | 'in_channel' | undefined;
  edits: number;
}

export interface FakeSlackFailure {
  /** HTTP status; default 200 with `ok: false`. */
  status?: number;
  error?: string;
  retryAfterSeconds?: number;
}

export interface FakeSlack {
  /** For bolt's `slackApiUrl` and SLACK_API_URL: `http://127.0.0.1:<port>/api/`. */
  apiUrl: string;
  botToken: string;
  appToken: string;
  signingSecret: string;
  team: string;
  botUserId: string;
  requests: RecordedRequest[];
  /** Web API calls of one method, their bodies in order. */
  calls(method: string): Record<string, unknown>[];
  /** Messages in a channel, oldest first. */
  messages(channel: string): FakeSlackMessage[];
  /** The next `count` calls of `method` fail as given. */
  failNext(method: string, failure: FakeSlackFailure, count?: number): void;
  /** Headers Slack sends with a request body: X-Slack-Signature over `v0:<timestamp>:<body>`. */
  sign(body: string, options?: { timestamp?: number; secret?: string }): Record<string, string>;
  /** An Events API callback: a mention in a channel, or a direct message. */
  /** `files`: true for a voice memo; or files whose bytes the fake serves at their url_private_download, to the bot token only. */
  event(text: string, options?: { user?: string; channel?: string; dm?: boolean; mention?: boolean; threadTs?: string; eventId?: string; files?: boolean | { name: string; mimetype?: string; content: string }[] }): Record<string, unknown>;
  /** A slash command as Slack posts it (form fields), with a fresh response_url and trigger_id. */
  command(command: string, text?: string, options?: { user?: string; channel?: string }): Record<string, string>;
  /**
   * A press of the button labelled `label` on the newest message in `channel` that has one, as Slack
   * sends it (a block_actions payload) with a fresh trigger_id and response_url. Throws when no message has it.
   */
  press(channel: string, label: string, options?: { user?: string }): Record<string, unknown>;
  /** An interaction as Slack posts it over HTTP: the form `payload=<JSON>`, to sign and post. */
  interactionForm(payload: Record<string, unknown>): string;
  /** Socket Mode: sends an envelope to every connection; its envelope_id. */
  deliver(type: 'events_api' | 'slash_commands' | 'interactive', payload: Record<string, unknown>, options?: { retryAttempt?: number }): Promise<string>;
  /** Socket Mode: what the client acknowledged an envelope with (`undefined` payload for a bare ack), or false if not yet. */
  acked(envelopeId: string): { payload?: unknown } | false;
  /** Socket Mode connections open now. */
  connections(): number;
  close(): Promise<void>;
  server: FakeServer;
}

/** What a person reads in a Slack message: code as written, links as their text, *bold*, _italics_ and ~strike~ unmarked. */
export function slackVisible(text: string): string {
  const prose = (part: string) =>
    part
      .replace(/<([^|>]+)\|([^>]+)>/g, '$2')
      .replace(/<([^>]+)>/g, '$1')
      .replace(/(^|[\s(])([*_~])(?=\S)([^*_~\n]*?\S)\2(?=$|[\s.,;:!?)])/gm, '$1$3');
  const decode = (part: string) => part.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
  return text
    .split(/(```[\s\S]*?```|`[^`]*`)/)
    .map((part, index) => decode(index % 2 ? part.replace(/^```\n?|\n?```$|^`|`$/g, '') : prose(part)))
    .join('')
    .replaceAll('\u200b', '');
}

/** What a message's blocks show: its sections as read, and its buttons. */
interface ShownBlocks {
  sections: string[];
  buttons: FakeSlackButton[];
}

/** A message's blocks as Slack takes them (a JSON string in a form, or an array), or why it refuses them. */
function readBlocks(raw: unknown): ShownBlocks | { error: string } | undefined {
  if (raw === undefined) return undefined;
  let blocks: unknown;
  try {
    blocks = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch {
    return { error: 'invalid_blocks_format' };
  }
  if (!Array.isArray(blocks) || blocks.length > 50) return { error: 'invalid_blocks' };
  const sections: string[] = [];
  const buttons: FakeSlackButton[] = [];
  for (const block of blocks as { type?: string; text?: { type?: string; text?: string }; elements?: Record<string, unknown>[] }[]) {
    if (block.type === 'section') {
      const { type, text } = block.text ?? {};
      if ((type !== 'mrkdwn' && type !== 'plain_text') || !text || text.length > 3000) return { error: 'invalid_blocks' };
      sections.push(type === 'mrkdwn' ? slackVisible(text) : text);
    } else if (block.type === 'actions') {
      if (!block.elements?.length || block.elements.length > 25) return { error: 'invalid_blocks' };
      for (const element of block.elements as { type?: string; text?: { type?: string; text?: string }; action_id?: string; value?: string; style?: string }[]) {
        const label = element.text?.type === 'plain_text' ? element.text.text : undefined;
        const actionId = element.action_id ?? '';
        if (element.type !== 'button' || !label || label.length > 75 || !actionId || actionId.length > 255 || (element.value?.length ?? 0) > 2000) return { error: 'invalid_blocks' };
        if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger') return { error: 'invalid_blocks' };
        if (buttons.some((button) => button.actionId === actionId)) return { error: 'invalid_blocks' };
        buttons.push({ label, value: element.value ?? '', actionId, ...(element.style ? { style: element.style } : {}) });
      }
    } else return { error: 'invalid_blocks' };
  }
  return { sections, buttons };
}

/** What a message shows and its buttons, from its text and blocks. */
function shown(text: string, blocks: ShownBlocks | undefined): Pick<FakeSlackMessage, 'visible' | 'buttons'> {
  const visible = blocks?.sections.length ? blocks.sections.join('\n') : slackVisible(text);
  return { visible, ...(blocks?.buttons.length ? { buttons: blocks.buttons } : {}) };
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const botToken = `xoxb-${randomBytes(6).toString('hex')}-${randomBytes(12).toString('hex')}`;
  const appToken = `xapp-1-A0FAKE-${randomBytes(12).toString('hex')}`;
  const signingSecret = randomBytes(16).toString('hex');
  const team = 'T0FAKETEAM';
  const botUserId = 'U0FAKEBOT';
  const channels = new Map<string, FakeSlackMessage[]>();
  /** Each message's blocks, for chat.update to keep when it is given none. */
  const blocksOf = new WeakMap<FakeSlackMessage, ShownBlocks>();
  const post = (message: FakeSlackMessage, blocks: ShownBlocks | undefined) => {
    inChannel(message.channel).push(message);
    if (blocks) blocksOf.set(message, blocks);
  };
  const failures = new Map<string, { failure: FakeSlackFailure; count: number }>();
  /** Response URLs: a command's or a press's, with the channel and thread it posts in. */
  const responseUrls = new Map<string, { channel: string; threadTs?: string }>();
  let clock = 1_700_000_000;
  let sequence = 0;
  const nextTs = () => `${++clock}.${String(++sequence).padStart(6, '0')}`;
  const inChannel = (id: string) => channels.get(id) ?? (channels.set(id, []), channels.get(id)!);

  const ok = (response: ServerResponse, body: Record<string, unknown> = {}) => sendJson(response, 200, { ok: true, ...body });
  const refuse = (response: ServerResponse, error: string, status = 200) => sendJson(response, status, { ok: false, error });
  const textOf = (body: Record<string, unknown>) => (typeof body.text === 'string' ? body.text : '');
  const checkText = (text: string) => (!text.trim() ? 'no_text' : text.length > 40_000 ? 'msg_too_long' : undefined);

  const methods: Record<string, (body: Record<string, unknown>, response: ServerResponse) => void> = {
    'auth.test': (_, response) => ok(response, { url: 'https://fake.slack.com/', team: 'Fake Team', user: 'assistant', team_id: team, user_id: botUserId, bot_id: 'B0FAKEBOT', is_enterprise_install: false }),
    'users.info': (body, response) => {
      const id = String(body.user ?? '');
      if (!/^U\w+$/.test(id)) return refuse(response, 'user_not_found');
      ok(response, { user: { id, team_id: team, name: `user${id.slice(-3).toLowerCase()}`, real_name: `Person ${id.slice(-3)}`, profile: { display_name: `Person ${id.slice(-3)}` } } });
    },
    'chat.postMessage': (body, response) => {
      const text = textOf(body);
      const problem = checkText(text);
      if (problem) return refuse(response, problem);
      const blocks = readBlocks(body.blocks);
      if (blocks && 'error' in blocks) return refuse(response, blocks.error);
      const channel = String(body.channel);
      const ts = nextTs();
      const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : undefined;
      post({ channel, ts, text, ...shown(text, blocks), threadTs, responseType: undefined, edits: 0 }, blocks);
      ok(response, { channel, ts, message: { type: 'message', user: botUserId, text, ts, ...(threadTs ? { thread_ts: threadTs } : {}) } });
    },
    'chat.update': (body, response) => {
      const message = channels.get(String(body.channel))?.find((candidate) => candidate.ts === body.ts);
      if (!message) return refuse(response, 'message_not_found');
      const text = textOf(body);
      const problem = checkText(text);
      if (problem) return refuse(response, problem);
      const blocks = readBlocks(body.blocks);
      if (blocks && 'error' in blocks) return refuse(response, blocks.error);
      // As Slack does: without `blocks` the message keeps its earlier ones; an empty list removes them.
      const kept = blocks ?? blocksOf.get(message);
      if (kept) blocksOf.set(message, kept);
      delete message.buttons;
      Object.assign(message, { text, ...shown(text, kept), edits: message.edits + 1 });
      ok(response, { channel: message.channel, ts: message.ts, text });
    },
    'apps.connections.open': (_, response) => ok(response, { url: `${socketUrl}/link/?ticket=${randomBytes(8).toString('hex')}&app_id=A0FAKE` }),
  };

  /** Files people shared, by path: Slack serves them only with the bot token. */
  const privateFiles = new Map<string, Buffer>();
  const server = await startFakeServer(async (request, response) => {
    const url = new URL(request.url, 'http://fake');
    const file = request.method === 'GET' ? privateFiles.get(url.pathname) : undefined;
    if (file) {
      if (request.headers.authorization !== `Bearer ${botToken}`) return void response.writeHead(302, { location: 'https://fake.slack.com/signin' }).end();
      return void response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(file);
    }
    const responseUrl = /^\/(?:commands|actions)\/(\w+)$/.exec(url.pathname);
    if (responseUrl) {
      // A response_url: JSON in, "ok" out; it needs no token, only the secret URL.
      const target = responseUrls.get(responseUrl[1]!);
      if (!target) return sendJson(response, 404, { ok: false, error: 'expired_url' });
      const body = (request.body ?? {}) as Record<string, unknown>;
      const text = textOf(body);
      if (checkText(text)) return sendJson(response, 400, { ok: false, error: 'no_text' });
      const blocks = readBlocks(body.blocks);
      if (blocks && 'error' in blocks) return sendJson(response, 400, { ok: false, error: blocks.error });
      const responseType = body.response_type === 'in_channel' ? 'in_channel' : 'ephemeral';
      post({ channel: target.channel, ts: nextTs(), text, ...shown(text, blocks), threadTs: target.threadTs, responseType, edits: 0 }, blocks);
      return sendJson(response, 200, { ok: true });
    }
    const method = /^\/api\/([\w.]+)$/.exec(url.pathname)?.[1];
    const handler = method ? methods[method] : undefined;
    if (!method || !handler) return refuse(response, 'unknown_method', 404);
    const expected = method === 'apps.connections.open' ? appToken : botToken;
    if (request.headers.authorization !== `Bearer ${expected}`) return refuse(response, 'invalid_auth');
    const planned = failures.get(method);
    if (planned) {
      if (--planned.count <= 0) failures.delete(method);
      const { status = 200, error = 'internal_error', retryAfterSeconds } = planned.failure;
      if (retryAfterSeconds !== undefined) {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfterSeconds) });
        return void response.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      }
      return refuse(response, error, status);
    }
    // WebClient posts forms; bodies the fake server could not read as JSON are read as one.
    const body = typeof request.body === 'string' ? Object.fromEntries(new URLSearchParams(request.body)) : ((request.body ?? {}) as Record<string, unknown>);
    handler(body, response);
  });

  // Socket Mode: hello on connect, envelopes out, acks in; pinged as Slack pings.
  const sockets = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => sockets.once('listening', resolve));
  const socketUrl = `ws://127.0.0.1:${(sockets.address() as AddressInfo).port}`;
  const acks = new Map<string, { payload?: unknown }>();
  const open = new Set<WebSocket>();
  sockets.on('connection', (socket) => {
    open.add(socket);
    socket.send(JSON.stringify({ type: 'hello', num_connections: open.size, debug_info: { host: 'fake', approximate_connection_time: 18060 }, connection_info: { app_id: 'A0FAKE' } }));
    const ping = setInterval(() => socket.ping(), 5000);
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { envelope_id?: string; payload?: unknown };
      if (message.envelope_id) acks.set(message.envelope_id, message.payload === undefined ? {} : { payload: message.payload });
    });
    socket.on('close', () => {
      clearInterval(ping);
      open.delete(socket);
    });
  });

  const fake: FakeSlack = {
    apiUrl: `${server.origin}/api/`,
    botToken,
    appToken,
    signingSecret,
    team,
    botUserId,
    requests: server.requests,
    calls: (method) =>
      server.requests
        .filter((request) => request.url === `/api/${method}`)
        .map((request) => (typeof request.body === 'string' ? Object.fromEntries(new URLSearchParams(request.body)) : ((request.body ?? {}) as Record<string, unknown>))),
    messages: (channel) => channels.get(channel) ?? [],
    failNext(method, failure, count = 1) {
      failures.set(method, { failure, count });
    },
    sign(body, { timestamp = Math.floor(Date.now() / 1000), secret = signingSecret } = {}) {
      const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
      return { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(timestamp) };
    },
    event(text, { user = 'U0PERSON1', channel, dm = false, mention = !dm, threadTs, eventId = `Ev${randomBytes(5).toString('hex').toUpperCase()}`, files = false } = {}) {
      const ts = nextTs();
      const where = channel ?? (dm ? `D${user.slice(1)}` : 'C0GENERAL');
      return {
        token: 'verification-token-unused',
        team_id: team,
        api_app_id: 'A0FAKE',
        type: 'event_callback',
        event_id: eventId,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ team_id: team, user_id: botUserId, is_bot: true, is_enterprise_install: false }],
        event: {
          type: mention ? 'app_mention' : 'message',
          user,
          text: mention ? `<@${botUserId}> ${text}` : text,
          ts,
          channel: where,
          event_ts: ts,
          ...(dm ? { channel_type: 'im' } : { channel_type: 'channel' }),
          ...(threadTs ? { thread_ts: threadTs } : {}),
          ...(files === true ? { subtype: 'file_share', files: [{ id: 'F0FILE', name: 'voice.m4a' }] } : {}),
          ...(Array.isArray(files)
            ? {
                subtype: 'file_share',
                files: files.map((file, index) => {
                  const path = `/files-pri/${team}-F0${index}${ts.replace('.', '')}/download/${file.name}`;
                  privateFiles.set(path, Buffer.from(file.content));
                  return { id: `F0${index}`, name: file.name, mimetype: file.mimetype ?? 'text/plain', size: Buffer.byteLength(file.content), url_private_download: `${server.origin}${path}` };
                }),
              }
            : {}),
        },
      };
    },
    command(command, text = '', { user = 'U0PERSON1', channel = 'C0GENERAL' } = {}) {
      const id = randomBytes(8).toString('hex');
      responseUrls.set(id, { channel });
      return {
        token: 'verification-token-unused',
        team_id: team,
        team_domain: 'fake',
        channel_id: channel,
        channel_name: 'general',
        user_id: user,
        user_name: 'person',
        command,
        text,
        api_app_id: 'A0FAKE',
        is_enterprise_install: 'false',
        response_url: `${server.origin}/commands/${id}`,
        trigger_id: `${clock}.${++sequence}.${randomBytes(8).toString('hex')}`,
      };
    },
    press(channel, label, { user = 'U0PERSON1' } = {}) {
      const message = inChannel(channel).findLast((candidate) => candidate.buttons?.some((button) => button.label === label));
      if (!message) throw new Error(`no message in ${channel} has a button "${label}"; it shows ${JSON.stringify(inChannel(channel).map((m) => [m.visible, m.buttons?.map((b) => b.label)]))}`);
      const button = message.buttons!.find((candidate) => candidate.label === label)!;
      const id = randomBytes(8).toString('hex');
      responseUrls.set(id, { channel, ...(message.threadTs ? { threadTs: message.threadTs } : {}) });
      // Slack keeps no copy of an ephemeral message, so its press carries none.
      const ephemeral = message.responseType === 'ephemeral';
      return {
        type: 'block_actions',
        user: { id: user, username: 'person', name: 'person', team_id: team },
        api_app_id: 'A0FAKE',
        token: 'verification-token-unused',
        container: { type: 'message', message_ts: message.ts, channel_id: channel, is_ephemeral: ephemeral, ...(message.threadTs ? { thread_ts: message.threadTs } : {}) },
        trigger_id: `${clock}.${++sequence}.${randomBytes(8).toString('hex')}`,
        team: { id: team, domain: 'fake' },
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: channel, name: channel.startsWith('D') ? 'directmessage' : 'general' },
        ...(ephemeral ? {} : { message: { type: 'message', user: botUserId, bot_id: 'B0FAKEBOT', text: message.text, ts: message.ts, ...(message.threadTs ? { thread_ts: message.threadTs } : {}) } }),
        state: { values: {} },
        response_url: `${server.origin}/actions/${id}`,
        actions: [
          {
            type: 'button',
            action_id: button.actionId,
            block_id: 'fake-block',
            text: { type: 'plain_text', text: button.label, emoji: true },
            value: button.value,
            ...(button.style ? { style: button.style } : {}),
            action_ts: `${clock}.${String(sequence).padStart(6, '0')}`,
          },
        ],
      };
    },
    interactionForm: (payload) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    async deliver(type, payload, { retryAttempt = 0 } = {}) {
      const envelopeId = randomBytes(8).toString('hex');
      const envelope = JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type === 'slash_commands', retry_attempt: retryAttempt, retry_reason: retryAttempt ? 'timeout' : '' });
      await Promise.all([...open].map((socket) => new Promise<void>((resolve) => socket.send(envelope, () => resolve()))));
      return envelopeId;
    },
    acked: (envelopeId) => acks.get(envelopeId) ?? false,
    connections: () => open.size,
    async close() {
      for (const socket of open) socket.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      await server.close();
    },
    server,
  };
  return fake;
}
