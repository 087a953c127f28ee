import { generateKeyPairSync, sign } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProbeServer } from '../http/index.ts';
import type { DiscordInteraction } from './discord-events.ts';
import { interactionsEndpoint, type InteractionResponder } from './interactions-endpoint.ts';

/**
 * The Interactions Endpoint URL on the probe server (the server of a process that runs ROLES=discord),
 * over a real socket: what each request is answered, and what reaches the handler.
 */
const keys = generateKeyPairSync('ed25519');
const publicKey = Buffer.from(keys.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
const signed = (body: string, timestamp = Math.floor(Date.now() / 1000), privateKey = keys.privateKey) => ({
  'x-signature-ed25519': sign(null, Buffer.from(`${timestamp}${body}`), privateKey).toString('hex'),
  'x-signature-timestamp': String(timestamp),
});

/** What the test's handler does with each interaction, set per test. */
let behaviour: (interaction: DiscordInteraction, respond: InteractionResponder) => Promise<void> = async () => {};
const handled: DiscordInteraction[] = [];
let server: ReturnType<typeof buildProbeServer>;
let url: string;

beforeAll(async () => {
  const webhook = interactionsEndpoint({
    publicKey,
    handle: (interaction, respond) => {
      handled.push(interaction);
      return behaviour(interaction, respond);
    },
  });
  server = buildProbeServer({ log: pino({ level: 'silent' }), checks: {}, routes: [webhook] });
  url = `${await server.listen({ port: 0, host: '127.0.0.1' })}/discord/interactions`;
});
afterAll(async () => {
  await server?.close();
});

const command = (id: string) => JSON.stringify({ id, application_id: '1300000000000000002', type: 2, token: 'aW50ZXJhY3Rpb24token', channel_id: '1300000000000000003', user: { id: '1300000000000000004', username: 'person' }, data: { name: 'ask', options: [] } });

async function post(body: string, headers: Record<string, string> = signed(body)) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('Discord Interactions Endpoint URL', () => {
  it('answers a signed PING with PONG, without the handler', async () => {
    const before = handled.length;
    const ping = JSON.stringify({ id: '1300000000000000001', application_id: '1300000000000000002', type: 1, token: 'aW50ZXJhY3Rpb24ping', version: 1 });
    expect(await post(ping)).toEqual({ status: 200, body: { type: 1 } });
    expect(handled.length).toBe(before);
  });

  it('refuses a PING or a command with a forged, stale or missing signature: 401 invalid_token, the handler never called', async () => {
    const before = handled.length;
    const ping = JSON.stringify({ type: 1 });
    const other = generateKeyPairSync('ed25519').privateKey;
    const refusals = [
      await post(ping, signed(ping, undefined, other)),
      await post(command('1300000000000000010'), signed(command('1300000000000000010'), undefined, other)),
      await post(command('1300000000000000011'), signed(command('1300000000000000012'))),
      await post(command('1300000000000000013'), signed(command('1300000000000000013'), Math.floor(Date.now() / 1000) - 301)),
      await post(command('1300000000000000014'), {}),
    ];
    for (const refusal of refusals) {
      expect(refusal.status).toBe(401);
      expect(refusal.body).toMatchObject({ error: { code: 'invalid_token', type: 'invalid_request_error', message: expect.stringContaining('X-Signature-Ed25519') } });
    }
    expect(handled.length).toBe(before);
  });

  it('refuses a signed body that is not JSON or not an interaction with 400', async () => {
    expect(await post('type=1')).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
    expect(await post(JSON.stringify({ type: 2, id: 'not-a-snowflake' }))).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
  });

  it("answers with the handler's response as soon as it responds, while the handler goes on after it", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let done = false;
    behaviour = async (_interaction, respond) => {
      await respond(5, { flags: 64 });
      // Queueing the job and following its answer: the HTTP response must not wait for this.
      await released;
      done = true;
    };
    const response = await post(command('1300000000000000020'));
    expect(response).toEqual({ status: 200, body: { type: 5, data: { flags: 64 } } });
    expect(handled.at(-1)).toMatchObject({ id: '1300000000000000020', type: 2, data: { name: 'ask' } });
    expect(done).toBe(false);
    release();
    await expect.poll(() => done).toBe(true);
  });

  it('answers 400 for an interaction the handler leaves unanswered, and 500 for one it fails before answering', async () => {
    behaviour = async () => {};
    expect(await post(command('1300000000000000030'))).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    behaviour = async () => {
      throw new Error('the store is down');
    };
    const failed = await post(command('1300000000000000031'));
    expect(failed).toMatchObject({ status: 500, body: { error: { code: 'internal_error' } } });
    expect(JSON.stringify(failed.body)).not.toContain('the store is down');
  });
});
