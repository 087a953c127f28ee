import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { isValidSlackRequest } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { GatewayError } from '../../core/errors/gateway-error.ts';
import { withinReplayWindow } from '../kit/replay-window.ts';

/**
 * Bolt's receivers acknowledge an event before its listeners run, so an event acknowledged and then
 * lost (the queue down, the process killed) is never sent again. These hand each event to bolt and
 * acknowledge only once its listeners are done, the job safely queued: a failure leaves it
 * unacknowledged, and Slack delivers it again (same event id, the same job).
 */
type Bolt = Pick<App, 'processEvent'>;

/**
 * An error from one of our own listeners (the queue away, a download failing): worth Slack's retry. Any
 * other error comes from bolt reading a body it could not make sense of, which no retry will change.
 * It carries a `code`, so bolt passes it on as it is (asCodedError).
 */
export class ListenerFailure extends Error {
  readonly code = 'gateway_listener_failed';
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** Runs a listener's work so that what it throws is known to be ours. */
export async function ownWork(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    throw new ListenerFailure(error);
  }
}

const isListenerFailure = (error: unknown): boolean => {
  const { original, originals } = error as { original?: unknown; originals?: unknown[] };
  return error instanceof ListenerFailure || original instanceof ListenerFailure || (Array.isArray(originals) && originals.some(isListenerFailure));
};

/** Runs one event through bolt; what its listener acknowledged with, once every listener is done. */
async function runThroughBolt(bolt: Bolt | undefined, event: Omit<ReceiverEvent, 'ack'>): Promise<unknown> {
  if (!bolt) throw new Error('the Slack receiver is not initialised');
  let response: unknown;
  await bolt.processEvent({
    ...event,
    ack: async (value?: unknown) => {
      response = value;
    },
  });
  return response;
}

/** A form post (slash commands; a button press's JSON in its `payload` field) or JSON (events) as an object; undefined when it is neither. */
function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> | undefined {
  try {
    if (contentType?.startsWith('application/x-www-form-urlencoded')) {
      const form = Object.fromEntries(new URLSearchParams(raw));
      return typeof form.payload === 'string' ? (JSON.parse(form.payload) as Record<string, unknown>) : form;
    }
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Events API, slash commands and interactivity (button presses) over HTTP, all on one URL, mounted
 * on the platform's own server (the HTTP adapter, or the probe server of a process without it): every
 * request's signature is checked against the raw body, and one dated more than 5 minutes from now is
 * refused, as Slack asks. A replay inside that window is the same event (or trigger) id, so the same job:
 * it is never answered twice.
 */
export class FastifySlackReceiver implements Receiver {
  #bolt: Bolt | undefined;
  readonly plugin: FastifyPluginAsync;

  constructor({ signingSecret, path, log }: { signingSecret: string; path: string; log: Logger }) {
    this.plugin = async (app) => {
      // The signature covers the body as sent: this route keeps it as text.
      app.removeAllContentTypeParsers();
      app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body));
      app.post(path, async (request, reply) => {
        const raw = typeof request.body === 'string' ? request.body : '';
        const signature = request.headers['x-slack-signature'];
        const timestamp = Number(request.headers['x-slack-request-timestamp']);
        // Bolt refuses only the stale; one dated ahead is refused too, so a signature cannot be minted to outlive the window.
        if (typeof signature !== 'string' || !Number.isFinite(timestamp) || !withinReplayWindow(timestamp) || !isValidSlackRequest({ signingSecret, body: raw, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp } })) {
          throw new GatewayError('invalid_token', 'The X-Slack-Signature header is missing or wrong, or X-Slack-Request-Timestamp is more than 5 minutes from now.');
        }
        const body = parseBody(raw, request.headers['content-type']);
        if (!body) throw new GatewayError('invalid_request', 'The body is neither JSON nor a form, as Slack sends them.');
        if (body.type === 'url_verification') return { challenge: body.challenge };
        if (body.ssl_check) return reply.code(200).send();
        const retryNum = Number(request.headers['x-slack-retry-num']);
        let response: unknown;
        try {
          response = await runThroughBolt(this.#bolt, { body, retryNum: Number.isInteger(retryNum) ? retryNum : undefined, retryReason: request.headers['x-slack-retry-reason'] as string | undefined });
        } catch (error) {
          if (!isListenerFailure(error)) {
            log.info({ reason: (error as Error).message }, 'refused a Slack payload bolt could not read');
            throw new GatewayError('invalid_request', 'The request is not a Slack payload the gateway can read.');
          }
          log.warn({ reason: (error as Error).message }, 'could not take a Slack event; Slack will retry');
          throw new GatewayError('queue_unavailable', 'The event could not be queued; retry later.');
        }
        return reply.code(200).send(response ?? '');
      });
    };
  }

  init(bolt: App): void {
    this.#bolt = bolt;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}

/** Socket Mode: events over a WebSocket Slack opens to us (no public URL needed), acknowledged by envelope. */
export class SocketSlackReceiver implements Receiver {
  #bolt: Bolt | undefined;
  readonly client: SocketModeClient;

  constructor({ appToken, apiUrl, log }: { appToken: string; apiUrl: string; log: Logger }) {
    this.client = new SocketModeClient({ appToken, clientOptions: { slackApiUrl: apiUrl }, logger: boltLogger(log) });
    this.client.on('slack_event', async ({ ack, body, retry_num: retryNum, retry_reason: retryReason }: { ack: (response?: unknown) => Promise<void>; body: Record<string, unknown>; retry_num?: number; retry_reason?: string }) => {
      try {
        await ack(await runThroughBolt(this.#bolt, { body, retryNum, retryReason }));
      } catch (error) {
        log.warn({ reason: (error as Error).message }, 'could not take a Slack event; not acknowledged, so Slack sends it again');
      }
    });
  }

  init(bolt: App): void {
    this.#bolt = bolt;
  }

  async start(): Promise<void> {
    await this.client.start();
  }

  async stop(): Promise<void> {
    await this.client.disconnect();
  }
}

/** Slack's SDK logs through pino, at warnings and above: its debug output would carry message text. */
export function boltLogger(log: Logger) {
  const child = log.child({ sdk: 'slack' });
  let level = 'warn';
  return {
    debug: () => {},
    info: () => {},
    warn: (...message: unknown[]) => child.warn(message.map(String).join(' ')),
    error: (...message: unknown[]) => child.error(message.map(String).join(' ')),
    setLevel: (next: string) => void (level = next),
    getLevel: () => level,
    setName: () => {},
  } as never;
}
