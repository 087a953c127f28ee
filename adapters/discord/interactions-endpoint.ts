import type { FastifyPluginAsync } from 'fastify';
import { GatewayError } from '../../core/errors/gateway-error.ts';
import { discordInteractionSchema, discordPingSchema, type DiscordInteraction } from './discord-events.ts';
import { interactionSignature } from './interaction-signature.ts';

/**
 * Answers an interaction with an interaction response (`{ type, data }`, Discord's callback body).
 * Resolves once the response has gone out, so what follows (editing the response) comes after it.
 */
export type InteractionResponder = (type: number, data: Record<string, unknown>) => Promise<void>;

export interface InteractionsEndpointOptions {
  /** DISCORD_PUBLIC_KEY: the application's Ed25519 public key, 64 hex characters. */
  publicKey: string;
  /** Where Discord posts. Default: /discord/interactions. */
  path?: string;
  /**
   * Handles a verified interaction: calls `respond` at most once, first, and may go on after it (the
   * promise then resolves later). Resolving without responding means the interaction is not answered.
   */
  handle: (interaction: DiscordInteraction, respond: InteractionResponder) => Promise<void>;
}

export const defaultInteractionsPath = '/discord/interactions';
const pong = 1;

/**
 * The Interactions Endpoint URL of a Discord application: once it is set in the Developer Portal,
 * slash commands and button presses come here as signed POSTs instead of over the gateway, and each is
 * answered by the HTTP response itself (within Discord's 3 seconds). Every request's signature is
 * checked against the raw body before anything else; a wrong one gets 401, as Discord requires (it
 * posts bad signatures when the URL is saved, and refuses a URL that accepts them). Refusals are
 * thrown: the server it is mounted on (the HTTP adapter or the probe server) answers them in the
 * API's error shape.
 */
export function interactionsEndpoint({ publicKey, path = defaultInteractionsPath, handle }: InteractionsEndpointOptions): FastifyPluginAsync {
  const verified = interactionSignature(publicKey);
  return async (app) => {
    // The signature covers the body's bytes as sent: this route keeps them, and parses only what verified.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body));
    app.post(path, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const signed = { signature: request.headers['x-signature-ed25519'], timestamp: request.headers['x-signature-timestamp'], body };
      if (!verified(signed)) {
        throw new GatewayError('invalid_token', 'The X-Signature-Ed25519 header is missing or does not verify with DISCORD_PUBLIC_KEY, or X-Signature-Timestamp is more than 5 minutes from now.');
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        throw new GatewayError('invalid_json', 'The body is not JSON, as Discord sends interactions.');
      }
      if (discordPingSchema.safeParse(parsed).success) return { type: pong };
      const interaction = discordInteractionSchema.safeParse(parsed);
      if (!interaction.success) throw new GatewayError('invalid_request', 'The body is not a Discord interaction (it needs snowflake id and application_id, an integer type and a token).');

      // The response is the HTTP answer; `respond` resolves once it has been written, and the handler goes on.
      let written!: () => void;
      const sent = new Promise<void>((resolve) => (written = resolve));
      const response = await new Promise<{ type: number; data: Record<string, unknown> } | undefined>((resolve, reject) => {
        handle(interaction.data, async (type, data) => {
          resolve({ type, data });
          await sent;
        }).then(() => resolve(undefined), reject);
      });
      if (!response) throw new GatewayError('invalid_request', 'The bot does not answer this interaction: only its slash commands and its own buttons.');
      reply.raw.once('finish', written);
      reply.raw.once('close', written);
      return reply.code(200).send(response);
    });
  };
}
