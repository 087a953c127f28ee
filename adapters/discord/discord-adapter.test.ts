import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt } from 'jose';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commandSpecs } from '../../core/contracts/commands.ts';
import type { InboundJobInput } from '../../core/contracts/job.ts';
import type { ReplyAction } from '../../core/contracts/reply.ts';
import { startFakeDiscord, type FakeDiscord } from '../../test/fakes/fake-discord.ts';
import { waitUntil } from '../../test/helpers/processes.ts';
import type { ChatEventOutcome } from '../kit/chat-adapter.ts';
import type { DeliveryRecords } from '../kit/delivery-records.ts';
import type { InteractionTokens } from '../kit/interaction-tokens.ts';
import { commandRegistrations } from './commands.ts';
import { startDiscordAdapter, type DiscordAdapter, type DiscordAdapterOptions } from './discord-adapter.ts';
import { okReply } from '../kit/conformance.ts';
import { buildProbeServer } from '../http/index.ts';

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

  it('answers a message over the job limit with a note saying so, without trying the queue', async () => {
    const discord = await startFakeDiscord();
    fakes.push(discord);
    const queued: InboundJobInput[] = [];
    const adapter = await startDiscordAdapter(options(discord, { enqueue: async (job) => (queued.push(job), job) }));
    try {
      const message = discord.message('z'.repeat(250_000), { dm: true, userId: '1600000000000000003' });
      await discord.dispatch('MESSAGE_CREATE', message);
      const channel = String(message.channel_id);
      expect(await waitUntil(() => discord.messages(channel).length > 0, 5000)).toBe(true);
      expect(discord.messages(channel)[0]!.visible).toBe('That message is too long for me: 250,000 characters, and I read at most 200,000. Please send it in shorter parts.');
      expect(queued).toEqual([]);
    } finally {
      await adapter.close();
    }
  });
});

const confirmOrCancel: ReplyAction[] = [
  { label: 'Confirm', command: '/confirm ABCDEFGH', style: 'danger' },
  { label: 'Cancel', command: '/cancel ABCDEFGH' },
];
const shownButtons = [
  { label: 'Confirm', customId: '/confirm ABCDEFGH', style: 4 },
  { label: 'Cancel', customId: '/cancel ABCDEFGH', style: 2 },
];

describe('Discord commands, buttons and presses', () => {
  let discord: FakeDiscord;
  let adapter: DiscordAdapter;
  const jobs: InboundJobInput[] = [];
  const handled: string[] = [];
  const admin = '1600000000000000100';
  /** Dispatches an event and waits until the adapter has handled it (once more); the jobs it queued for it. */
  const sent = async (type: string, payload: Record<string, unknown>) => {
    const before = handled.filter((id) => id === payload.id).length;
    await discord.dispatch(type, payload);
    expect(await waitUntil(() => handled.filter((id) => id === payload.id).length > before, 5000)).toBe(true);
    return jobs.filter((job) => job.id === `discord-${String(payload.id)}`);
  };
  const pressed = async (channel: string, label: string, where: { userId?: string; dm?: boolean } = {}) => {
    const before = handled.length;
    const payload = await discord.press(channel, label, where);
    expect(await waitUntil(() => handled.slice(before).includes(String(payload.id)), 5000)).toBe(true);
    return { payload, job: jobs.find((job) => job.id === `discord-${String(payload.id)}`)! };
  };
  const ackOf = (interactionId: unknown) => discord.calls('POST', new RegExp(`^/interactions/${String(interactionId)}/`));

  beforeAll(async () => {
    discord = await startFakeDiscord();
    adapter = await startDiscordAdapter(
      options(discord, {
        enqueue: async (job) => (jobs.push(job), job),
        onEvent: (outcome) => handled.push(outcome.eventId),
      }),
    );
    await waitUntil(() => discord.commands().length > 0, 5000);
  });
  afterAll(async () => {
    await adapter?.close();
    await discord?.close();
  });

  it("registers core's commands and /ask, each option typed", () => {
    const registered = discord.commands().map(({ id: _, application_id: __, version: ___, ...command }) => command);
    expect(registered).toEqual(commandRegistrations());
    expect(registered.map((command) => command.name)).toEqual(['ask', ...commandSpecs.map((spec) => spec.name)]);
    expect(registered.find((command) => command.name === 'block')).toMatchObject({ options: [{ name: 'user', type: 6, required: true }] });
  });

  it('turns a user picked in a slash command into discord:<id>, and gives the caller\'s handle', async () => {
    const [job] = await sent('INTERACTION_CREATE', discord.interaction('block', { user: '1600000000000000777' }, { userId: admin }));
    expect(job!.input.messages).toEqual([{ role: 'user', content: '/block discord:1600000000000000777' }]);
    expect(job!.source).toMatchObject({ direct: false, handle: `person${admin.slice(-4)}` });
    const [typed] = await sent('MESSAGE_CREATE', discord.message('/role <@1600000000000000777> admin', { userId: admin, mentionBot: true }));
    expect(typed!.input.messages[0]!.content).toBe('/role discord:1600000000000000777 admin');
  });

  it("shows a reply's buttons under its last message in a channel, and a press is the presser's command there", async () => {
    const [job] = await sent('MESSAGE_CREATE', discord.message('/block <@1600000000000000778>', { userId: admin, mentionBot: true }));
    const long = Array.from({ length: 120 }, (_, i) => `Line ${i} of what blocking means for this person.`).join('\n');
    await adapter.deliver(okReply(job!, long, confirmOrCancel));
    const shown = discord.messages(discord.channelId).filter((message) => !message.interactionId).slice(-2);
    expect(shown.map((message) => message.buttons)).toEqual([undefined, shownButtons]);

    const { payload, job: press } = await pressed(discord.channelId, 'Confirm', { userId: admin });
    expect(press).toMatchObject({
      id: `discord-${String(payload.id)}`,
      source: { direct: false, handle: `person${admin.slice(-4)}` },
      conversationId: `discord-${discord.channelId}`,
      replyTo: { adapter: 'discord', chat: { id: discord.channelId, interactionId: payload.id } },
      input: { messages: [{ role: 'user', content: '/confirm ABCDEFGH' }] },
    });
    expect(decodeJwt(press.identityToken)).toMatchObject({ platform: 'discord', sub: admin });
    expect(discord.acknowledged(String(payload.id))).toBe(5);
    expect(ackOf(payload.id)[0]!.body).toEqual({ type: 5, data: {} });

    // Discord replaying the press: the same job, acknowledged once.
    const again = await sent('INTERACTION_CREATE', payload);
    expect(again.map((job) => job.id)).toEqual([press.id, press.id]);
    expect(discord.acknowledged(String(payload.id))).toBe(5);
    // The answer to the press is its own response, edited; the pressed message keeps its buttons.
    await adapter.deliver(okReply(press, 'Blocked.'));
    expect(discord.messages(discord.channelId).find((message) => message.interactionId === payload.id)).toMatchObject({ visible: 'Blocked.', ephemeral: false });
    expect(discord.messages(discord.channelId).filter((message) => message.buttons).at(-1)!.buttons).toEqual(shownButtons);
  });

  it("shows buttons on a slash command's @original response, and a press on that ephemeral message is answered privately, as direct", async () => {
    const interaction = discord.interaction('keys', { action: 'revoke', target: 'key_123' }, { userId: admin });
    const [job] = await sent('INTERACTION_CREATE', interaction);
    expect(job).toMatchObject({ source: { direct: true }, input: { messages: [{ content: '/keys revoke key_123' }] } });
    await adapter.deliver(okReply(job!, 'Revoke key_123? It cannot be undone.', confirmOrCancel));
    const original = discord.messages(discord.channelId).find((message) => message.interactionId === interaction.id)!;
    expect(original).toMatchObject({ visible: 'Revoke key_123? It cannot be undone.', ephemeral: true, buttons: shownButtons });
    expect(discord.calls('PATCH', /^\/webhooks\/\d+\/[\w.-]+\/messages\/@original$/).at(-1)!.body).toMatchObject({
      components: [{ type: 1, components: [{ type: 2, style: 4, label: 'Confirm', custom_id: '/confirm ABCDEFGH' }, { type: 2, style: 2, label: 'Cancel', custom_id: '/cancel ABCDEFGH' }] }],
    });

    const { payload, job: press } = await pressed(discord.channelId, 'Cancel', { userId: admin });
    expect(payload.message).toEqual({ id: original.id, flags: 64 });
    expect(press).toMatchObject({ source: { direct: true }, input: { messages: [{ content: '/cancel ABCDEFGH' }] } });
    expect(ackOf(payload.id)[0]!.body).toEqual({ type: 5, data: { flags: 64 } });
    await adapter.deliver(okReply(press, 'Kept.'));
    expect(discord.messages(discord.channelId).find((message) => message.interactionId === payload.id)).toMatchObject({ visible: 'Kept.', ephemeral: true });
  });

  it('counts a press in a direct message as direct', async () => {
    const user = '1600000000000000200';
    const [job] = await sent('MESSAGE_CREATE', discord.message('/link', { dm: true, userId: user }));
    await adapter.deliver(okReply(job!, 'Link this chat?', [{ label: 'Yes', command: '/confirm QWERTYUI', style: 'primary' }]));
    const channel = String(job!.replyTo.chat!.id);
    expect(discord.messages(channel).at(-1)!.buttons).toEqual([{ label: 'Yes', customId: '/confirm QWERTYUI', style: 1 }]);
    const { job: press } = await pressed(channel, 'Yes', { userId: user });
    expect(press).toMatchObject({ source: { direct: true }, replyTo: { chat: { id: channel } }, input: { messages: [{ content: '/confirm QWERTYUI' }] } });
    expect(press.workspace).toBeUndefined();
  });
});

describe('Discord interactions over the Interactions Endpoint URL', () => {
  it('has no endpoint without DISCORD_PUBLIC_KEY, and with it answers by HTTP as the gateway path answers by callback', async () => {
    const discord = await startFakeDiscord();
    fakes.push(discord);
    const plain = await startDiscordAdapter(options(discord));
    expect(plain.webhook).toBeUndefined();
    await plain.close();

    const jobs: InboundJobInput[] = [];
    const handled: ChatEventOutcome[] = [];
    const tokens = memoryTokens();
    const adapter = await startDiscordAdapter(options(discord, { publicKey: discord.publicKey, tokens, enqueue: async (job) => (jobs.push(job), job), onEvent: (outcome) => handled.push(outcome) }));
    const server = buildProbeServer({ log: pino({ level: 'silent' }), checks: {}, routes: [adapter.webhook!] });
    const url = `${await server.listen({ port: 0, host: '127.0.0.1' })}/discord/interactions`;
    try {
      expect((await adapter.health()).detail).toMatch(/, interactions at \/discord\/interactions$/);
      const ask = discord.interaction('ask', { question: 'Over HTTP?' }, { dm: true, userId: '1600000000000000200' });
      const answer = await discord.postInteraction(url, ask);
      expect(answer).toEqual({ status: 200, text: JSON.stringify({ type: 5, data: {} }) });
      expect(await waitUntil(() => handled.some((outcome) => outcome.eventId === ask.id), 5000)).toBe(true);
      expect(handled.find((outcome) => outcome.eventId === ask.id)).toMatchObject({ kind: 'job' });
      expect(jobs.map((job) => job.id)).toEqual([`discord-${String(ask.id)}`]);
      expect(jobs[0]!.input.messages).toEqual([{ role: 'user', content: 'Over HTTP?' }]);
      // Answered in the HTTP response: no callback went to Discord; the token is kept to edit @original.
      expect(discord.calls('POST', /^\/interactions\//)).toEqual([]);
      expect(JSON.parse((await tokens.load(String(ask.id)))!)).toEqual({ token: ask.token, ephemeral: false });
      // A private command is acknowledged privately, as by callback.
      const usage = discord.interaction('usage', {}, { userId: '1600000000000000200' });
      expect(JSON.parse((await discord.postInteraction(url, usage)).text)).toEqual({ type: 5, data: { flags: 64 } });
      expect(await waitUntil(() => jobs.length === 2, 5000)).toBe(true);

      const unknown = discord.interaction('nonsense', {}, { userId: '1600000000000000201' });
      const refusal = await discord.postInteraction(url, unknown);
      expect(refusal.status).toBe(200);
      expect(JSON.parse(refusal.text)).toMatchObject({ type: 4, data: { content: "I don't know /nonsense. /help lists my commands.", flags: 64 } });

      const forged = await discord.postInteraction(url, discord.interaction('ask', { question: 'Forged' }), { sign: { privateKey: generateKeyPairSync('ed25519').privateKey } });
      expect(forged.status).toBe(401);
      expect(jobs).toHaveLength(2);
    } finally {
      await server.close();
      await adapter.close();
    }
  });
});
