import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord, type FakeDiscordMessage } from './fakes/fake-discord.ts';
import { startFakeOpenAI, streamedAnswer, withEmbeddings } from './fakes/fake-openai.ts';
import type { FakeServer } from './fakes/fake-server.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';
import { waitUntil } from './helpers/processes.ts';

/**
 * Discord's Interactions Endpoint URL in the whole platform (`npm start`'s process, DISCORD_PUBLIC_KEY
 * set): the fake Discord posts interactions to /discord/interactions as Discord does, signed with the
 * application's Ed25519 key, and takes the HTTP answer as the interaction response. The named attack:
 * a forged interaction signature.
 */
const answer = (text: string, options?: Parameters<typeof streamedAnswer>[1]) => withEmbeddings(streamedAnswer(text, options));
let upstream: FakeServer & { baseURL: string };
let discord: FakeDiscord;
let platform: PlatformProcess;
let endpoint: string;

let userId = 910_000_000_000_000_000n;
const nextUser = () => String(++userId);

const modelCalls = () => upstream.requests.filter((request) => request.url.endsWith('/chat/completions')).length;
/** Every Discord event the adapter has handled, whatever became of it (gateway_chat_events_total). */
async function discordEvents(): Promise<number> {
  const metrics = await (await fetch(`${platform.url}/metrics`)).text();
  return [...metrics.matchAll(/^gateway_chat_events_total\{platform="discord",outcome="[\w-]+"\} (\d+)$/gm)].reduce((sum, [, count]) => sum + Number(count), 0);
}

beforeAll(async () => {
  upstream = await startFakeOpenAI(answer('Hello!'));
  discord = await startFakeDiscord();
  platform = await startPlatformProcess({
    OPENAI_API_KEY: 'sk-upstream-key-12345678',
    OPENAI_BASE_URL: upstream.baseURL,
    OPENAI_INSTANT_MODEL: 'fake-instant',
    OPENAI_THINKING_MODEL: 'fake-thinker',
    DISCORD_BOT_TOKEN: discord.token,
    DISCORD_API_URL: discord.apiUrl,
    DISCORD_PUBLIC_KEY: discord.publicKey,
    CHAT_EDIT_INTERVAL_MS: '200',
    ACCESS_MODE: 'open',
  });
  endpoint = `${platform.url}/discord/interactions`;
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  await discord?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.handle(answer('Hello!'));
});

/** Waits until the channel's messages satisfy `done`, then a moment for anything that would come twice; returns them. */
async function settled(channelId: string, done: (messages: FakeDiscordMessage[]) => boolean, timeoutMs = 15_000): Promise<FakeDiscordMessage[]> {
  const ok = await waitUntil(() => done(discord.messages(channelId)), timeoutMs);
  if (!ok) throw new Error(`channel ${channelId} never settled; it shows ${JSON.stringify(discord.messages(channelId).map((m) => m.visible))}\n${platform.output().slice(-3000)}`);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return discord.messages(channelId);
}

describe('Discord Interactions Endpoint URL', () => {
  it("answers Discord's PING with PONG, and says in /health where interactions come in", async () => {
    const ping = { id: '1500000000000000001', application_id: discord.applicationId, type: 1, token: 'aW50ZXJhY3Rpb24ping', version: 1, user: { id: '1500000000000000002', username: 'discord' } };
    const { status, text } = await discord.postInteraction(endpoint, ping);
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({ type: 1 });
    const health = (await (await fetch(`${platform.url}/health`)).json()) as { checks: Record<string, { status: string; detail?: string }> };
    expect(health.checks.discord).toMatchObject({ status: 'ok', detail: expect.stringMatching(/gateway ready, .*interactions at \/discord\/interactions$/) });
  });

  it('refuses a forged signature, a stale or future timestamp, or none, with 401 invalid_token: no job, no model call, nothing at Discord', async () => {
    const modelBefore = modelCalls();
    const eventsBefore = await discordEvents();
    const requestsBefore = discord.requests.length;
    const user = nextUser();
    const forgedKey = generateKeyPairSync('ed25519').privateKey;
    const now = Math.floor(Date.now() / 1000);
    const payloads = Array.from({ length: 6 }, () => discord.interaction('ask', { question: 'Run up my bill' }, { dm: true, userId: user }));
    const genuineBytes = JSON.stringify(payloads[5]);
    const refusals = await Promise.all([
      // Signed by someone else's key: a forgery.
      discord.postInteraction(endpoint, payloads[0]!, { sign: { privateKey: forgedKey } }),
      // A PING under a forged signature: Discord itself sends these when the URL is saved, and wants 401.
      discord.postInteraction(endpoint, { type: 1 }, { sign: { privateKey: forgedKey } }),
      discord.postInteraction(endpoint, payloads[1]!, { sign: { timestamp: now - 6 * 60 } }),
      discord.postInteraction(endpoint, payloads[2]!, { sign: { timestamp: now + 6 * 60 } }),
      discord.postInteraction(endpoint, payloads[3]!, { headers: { 'x-signature-ed25519': '', 'x-signature-timestamp': '' } }),
      // Genuine signature, other bytes: another interaction's signature reused.
      discord.postInteraction(endpoint, payloads[4]!, { headers: discord.sign(genuineBytes) }),
    ]);
    for (const refusal of refusals) {
      expect(refusal.status).toBe(401);
      expect(JSON.parse(refusal.text)).toMatchObject({ error: { code: 'invalid_token', type: 'invalid_request_error' } });
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(modelCalls()).toBe(modelBefore);
    expect(await discordEvents()).toBe(eventsBefore);
    expect(discord.requests.slice(requestsBefore)).toEqual([]);
    for (const payload of payloads.slice(0, 5)) expect(discord.acknowledged(String(payload.id))).toBeUndefined();
    expect(discord.messages(String(payloads[0]!.channel_id))).toEqual([]);
  });

  it('acknowledges a genuine /ask in its HTTP response within 3 seconds, edits @original into the answer, and answers a replay of the same signed request once', async () => {
    const text = 'A considered answer, over HTTP.';
    upstream.handle(answer(text, { size: 6, delayMs: 300 }));
    const modelBefore = modelCalls();
    const interaction = discord.interaction('ask', { question: 'Over the endpoint?' }, { dm: true, userId: nextUser() });
    const channel = String(interaction.channel_id);
    const raw = JSON.stringify(interaction);
    // The very same request twice at once (bytes, signature and timestamp): a captured request replayed.
    const headers = discord.sign(raw);
    const sent = Date.now();
    const [first, second] = await Promise.all([discord.postInteraction(endpoint, interaction, { headers }), discord.postInteraction(endpoint, interaction, { headers })]);
    expect(Date.now() - sent).toBeLessThan(3000);
    for (const response of [first!, second!]) {
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toEqual({ type: 5, data: {} });
    }
    expect(discord.acknowledged(String(interaction.id))).toBe(5);

    const [response, ...more] = await settled(channel, (messages) => messages.some((message) => message.visible === text));
    expect(more).toEqual([]);
    expect(response).toMatchObject({ interactionId: interaction.id, visible: text, ephemeral: false });
    // Once more after it was answered: still the one job.
    const late = await discord.postInteraction(endpoint, interaction, { headers });
    expect(late.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(discord.messages(channel)).toEqual([response]);
    expect(modelCalls() - modelBefore).toBe(1);
    // The answer went by editing @original: no callback route, no follow-up, nothing posted to the channel.
    expect(discord.calls('PATCH', new RegExp(`^/webhooks/${discord.applicationId}/${String(interaction.token)}/messages/@original$`)).length).toBeGreaterThanOrEqual(1);
    expect(discord.calls('POST', new RegExp(`^/interactions/${String(interaction.id)}/`))).toEqual([]);
    expect(discord.calls('POST', new RegExp(`^/webhooks/${discord.applicationId}/${String(interaction.token)}$`))).toEqual([]);
    expect(discord.calls('POST', new RegExp(`^/channels/${channel}/messages$`))).toEqual([]);
  });

  it('answers a private command privately: the deferred response carries the ephemeral flag', async () => {
    const usage = discord.interaction('usage', {}, { userId: nextUser() });
    const { status, text } = await discord.postInteraction(endpoint, usage);
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({ type: 5, data: { flags: 64 } });
    const shown = await settled(discord.channelId, () => discord.messages(discord.channelId).some((message) => message.interactionId === usage.id && message.visible.startsWith('Last 24 hours')));
    expect(shown.filter((message) => message.interactionId === usage.id)).toEqual([expect.objectContaining({ ephemeral: true })]);
  });
});
