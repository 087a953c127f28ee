import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach } from 'vitest';
import { AnthropicModel } from '../../core/models/providers/anthropic/index.ts';
import {
  type FakeHandler,
  type FakeServer,
  type RecordedRequest,
  type SseOptions,
  sendJson,
  sendSse,
  startFakeServer,
} from './fake-server.ts';

/**
 * A fake of Anthropic's Messages API (POST /v1/messages) speaking its real wire format: JSON messages,
 * SSE event sequences with `event:` names, and `{ type: 'error', error: { type, message } }` bodies.
 * The real @anthropic-ai/sdk runs against it, so tests see exactly what the SDK sends and parses.
 */

export interface FakeAnthropic {
  origin: string;
  requests: RecordedRequest[];
  /** The JSON body of the most recent request. */
  lastBody(): Record<string, unknown>;
  /** How the next requests to /v1/messages are answered (after the key check). */
  reply(handler: FakeHandler): void;
  close(): Promise<void>;
  server: FakeServer;
}

export interface FakeAnthropicOptions {
  /** The only key accepted, via `x-api-key` or `Authorization: Bearer`. */
  apiKey: string;
}

export async function startFakeAnthropic({ apiKey }: FakeAnthropicOptions): Promise<FakeAnthropic> {
  let answer: FakeHandler = messageResponse(anthropicMessage({ content: [textBlock('Hello from the fake.')] }));
  const server = await startFakeServer(async (request, response) => {
    if (request.method !== 'POST' || request.url.split('?')[0] !== '/v1/messages') {
      return sendAnthropicError(response, 404, 'not_found_error', `Not found: ${request.method} ${request.url}`);
    }
    const presented = presentedKey(request);
    if (presented !== apiKey) {
      // Worst case on purpose: the message echoes the key it was given, so tests prove callers redact it.
      return sendAnthropicError(response, 401, 'authentication_error', `invalid x-api-key: ${presented ?? '(none)'}`);
    }
    await answer(request, response);
  });
  return {
    origin: server.origin,
    requests: server.requests,
    lastBody() {
      const last = server.requests.at(-1);
      if (!last) throw new Error('the fake Anthropic server received no request');
      return last.body as Record<string, unknown>;
    },
    reply(handler) {
      answer = handler;
    },
    close: () => server.close(),
    server,
  };
}

/** The key the fake accepts unless told otherwise. */
export const fakeAnthropicKey = 'sk-ant-test-0123456789abcdef';

/**
 * A fresh fake Anthropic for each test of the calling file (started before it, closed after it), and
 * `model(key?)` making an AnthropicModel on it, with the accepted key unless given another.
 */
export function useFakeAnthropic({ apiKey = fakeAnthropicKey, modelId = 'claude-test' }: { apiKey?: string; modelId?: string } = {}): {
  readonly apiKey: string;
  readonly fake: FakeAnthropic;
  model(key?: string): AnthropicModel;
} {
  let fake: FakeAnthropic | undefined;
  beforeEach(async () => {
    fake = await startFakeAnthropic({ apiKey });
  });
  afterEach(async () => {
    await fake?.close();
  });
  const started = () => {
    if (!fake) throw new Error('the fake Anthropic is started before each test');
    return fake;
  };
  return {
    apiKey,
    get fake() {
      return started();
    },
    model: (key = apiKey) => new AnthropicModel({ apiKey: key, baseURL: started().origin, modelId }),
  };
}

function presentedKey(request: RecordedRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const authorization = request.headers.authorization;
  const match = typeof authorization === 'string' ? /^Bearer\s+(.+)$/i.exec(authorization) : null;
  return match?.[1];
}

// ---------------------------------------------------------------- non-streaming responses

export type FakeContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: string; [key: string]: unknown };

export const textBlock = (text: string): FakeContentBlock => ({ type: 'text', text });

export const toolUseBlock = (id: string, name: string, input: unknown): FakeContentBlock => ({
  type: 'tool_use',
  id,
  name,
  input,
});

/** Usage as Anthropic reports it: input excludes cached tokens, which come in their own fields. */
export interface FakeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export interface FakeMessageOptions {
  id?: string;
  model?: string;
  content: FakeContentBlock[];
  stopReason?: string | null;
  usage?: FakeUsage;
}

/** A complete Message object, as the non-streaming API returns it. */
export function anthropicMessage({
  id = 'msg_fake_01',
  model = 'claude-fake-1',
  content,
  stopReason = 'end_turn',
  usage = {},
}: FakeMessageOptions) {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...usage },
  };
}

export function messageResponse(message: unknown, headers: Record<string, string> = {}): FakeHandler {
  return (_request, response) => sendJson(response, 200, message, { 'request-id': 'req_fake_01', ...headers });
}

export function errorResponse(status: number, type: string, message: string, headers: Record<string, string> = {}): FakeHandler {
  return (_request, response) => sendAnthropicError(response, status, type, message, headers);
}

/** Any status and body, verbatim: malformed JSON, an HTML page from a proxy... */
export function rawResponse(status: number, body: string, contentType = 'application/json'): FakeHandler {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': contentType });
    response.end(body);
  };
}

function sendAnthropicError(
  response: ServerResponse,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
) {
  sendJson(response, status, { type: 'error', error: { type, message } }, { 'request-id': 'req_fake_err', ...headers });
}

// ---------------------------------------------------------------- streaming responses

export interface SseEvent {
  event?: string;
  data: unknown;
}

/**
 * A block as it streams. Text and tool input are given as the deltas the server sends (a string is
 * one delta); tool input is JSON text, since that is what `input_json_delta` carries.
 */
export type FakeStreamBlock =
  | { type: 'text'; text: string | string[] }
  | { type: 'tool_use'; id: string; name: string; input: string | string[] };

export interface FakeStreamOptions {
  id?: string;
  model?: string;
  blocks: FakeStreamBlock[];
  stopReason?: string | null;
  usage?: FakeUsage;
}

const deltasOf = (value: string | string[]) => (typeof value === 'string' ? [value] : value);

const sse = (data: { type: string; [key: string]: unknown }): SseEvent => ({ event: data.type, data });

/**
 * The full event sequence of one streamed message, as Anthropic sends it: message_start (input usage),
 * a ping, each block's start/deltas/stop, message_delta (stop reason, output usage), message_stop.
 */
export function messageStreamEvents({
  id = 'msg_fake_01',
  model = 'claude-fake-1',
  blocks,
  stopReason = 'end_turn',
  usage = {},
}: FakeStreamOptions): SseEvent[] {
  const { input_tokens = 10, output_tokens = 5, cache_creation_input_tokens = 0, cache_read_input_tokens = 0 } = usage;
  const events: SseEvent[] = [
    sse({
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens: 1 },
      },
    }),
    sse({ type: 'ping' }),
  ];
  for (const [index, block] of blocks.entries()) {
    if (block.type === 'text') {
      events.push(sse({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
      for (const text of deltasOf(block.text)) {
        events.push(sse({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } }));
      }
    } else {
      const start = { type: 'tool_use', id: block.id, name: block.name, input: {} };
      events.push(sse({ type: 'content_block_start', index, content_block: start }));
      for (const partial_json of deltasOf(block.input)) {
        events.push(sse({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } }));
      }
    }
    events.push(sse({ type: 'content_block_stop', index }));
  }
  events.push(
    sse({ type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens } }),
    sse({ type: 'message_stop' }),
  );
  return events;
}

/** The `error` event Anthropic sends inside a 200 stream, e.g. when overloaded mid-answer. */
export function errorEvent(type: string, message: string): SseEvent {
  return { event: 'error', data: { type: 'error', error: { type, message } } };
}

export function streamResponse(events: SseEvent[], options: SseOptions = {}): FakeHandler {
  return (_request, response) => sendSse(response, events, options);
}
