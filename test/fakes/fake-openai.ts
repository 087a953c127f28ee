import type { ServerResponse } from 'node:http';
import { sendJson, sendSse, startFakeServer, type FakeHandler, type SseOptions } from './fake-server.ts';

/**
 * Builders for OpenAI's chat-completions wire format (also spoken by Mistral, Groq, OpenRouter,
 * Moonshot, Ollama, vLLM), and a fake server answering with them.
 */
export interface FakeToolCall {
  id: string;
  name: string;
  arguments: string;
}

export function completion(options: {
  content?: string | null;
  toolCalls?: FakeToolCall[];
  finishReason?: string;
  usage?: Record<string, unknown>;
  model?: string;
}) {
  const { content = null, toolCalls, finishReason = 'stop', model = 'fake-model' } = options;
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          ...(toolCalls ? { tool_calls: toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) } : {}),
        },
        finish_reason: finishReason,
        logprobs: null,
      },
    ],
    usage: options.usage ?? { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  };
}

/** One streamed chunk; `delta` is the choice delta, or null for the usage-only chunk. */
export function chunk(delta: Record<string, unknown> | null, extra: { finishReason?: string; usage?: Record<string, unknown> } = {}) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'fake-model',
    choices: delta === null ? [] : [{ index: 0, delta, finish_reason: extra.finishReason ?? null, logprobs: null }],
    ...(extra.usage ? { usage: extra.usage } : {}),
  };
}

/** Sends chunks as SSE and ends with `data: [DONE]`, as OpenAI does. */
export function streamChunks(res: ServerResponse, chunks: unknown[], options: SseOptions & { done?: boolean } = {}) {
  const events = chunks.map((data) => ({ data }));
  return sendSse(res, options.done === false ? events : [...events, { data: '[DONE]' }], options);
}

export function openAIError(res: ServerResponse, status: number, message: string, extra: { code?: string; headers?: Record<string, string> } = {}) {
  sendJson(res, status, { error: { message, type: 'invalid_request_error', param: null, code: extra.code ?? null } }, extra.headers);
}

/** A fake OpenAI-compatible server; its base URL for the SDK is `${origin}/v1`. */
export async function startFakeOpenAI(handler: FakeHandler) {
  const server = await startFakeServer(handler);
  return { ...server, baseURL: `${server.origin}/v1` };
}

/** Answers with `text` streamed in pieces of `size` characters, `delayMs` apart, then usage. */
export function streamedAnswer(text: string, { size = 40, delayMs = 0 } = {}): FakeHandler {
  return (_request, response) => {
    const pieces = text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [];
    const chunks = [chunk({ role: 'assistant', content: '' }), ...pieces.map((content) => chunk({ content })), chunk({}, { finishReason: 'stop' }), chunk(null, { usage: { prompt_tokens: 5, completion_tokens: 5 } })];
    return streamChunks(response, chunks, { delayMs });
  };
}

/** One answer of a scripted model: text, or tool calls (finish reason `tool_calls`). */
export type ScriptedTurn = string | { toolCalls: FakeToolCall[]; content?: string };

/** The request's messages, as the gateway sent them to the provider. */
export type SentMessages = { role: string; content?: unknown; tool_calls?: unknown[]; tool_call_id?: string }[];

/**
 * A model that answers from a script, streaming each answer as OpenAI does. `next` sees the messages the
 * gateway sent, so a test can make the model react to its prompt (obey an injected instruction, say).
 */
export function scriptedModel(next: (messages: SentMessages, body: Record<string, unknown>) => ScriptedTurn): FakeHandler {
  return (request, response) => {
    const body = request.body as Record<string, unknown>;
    const turn = next(body.messages as SentMessages, body);
    const usage = { prompt_tokens: 10, completion_tokens: 5 };
    if (!body.stream) {
      const answer = typeof turn === 'string' ? { content: turn } : { content: turn.content ?? null, toolCalls: turn.toolCalls, finishReason: 'tool_calls' };
      return sendJson(response, 200, completion({ ...answer, usage }));
    }
    if (typeof turn === 'string') {
      return streamChunks(response, [chunk({ role: 'assistant', content: turn }), chunk({}, { finishReason: 'stop' }), chunk(null, { usage })]);
    }
    const calls = turn.toolCalls.map((call, index) =>
      chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }] }),
    );
    const text = turn.content ? [chunk({ role: 'assistant', content: turn.content })] : [chunk({ role: 'assistant', content: null })];
    return streamChunks(response, [...text, ...calls, chunk({}, { finishReason: 'tool_calls' }), chunk(null, { usage })]);
  };
}

/** The text of a sent message, whatever shape its content has. */
export function sentText(message: SentMessages[number] | undefined): string {
  const content = message?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (part as { text?: string }).text ?? '').join('');
  return '';
}

/**
 * `handler` for chat completions, and OpenAI's embeddings endpoint beside it: each input a deterministic
 * 64-dimension vector of its hashed words, so texts sharing words are near and retrieval can be asserted.
 */
export function withEmbeddings(handler: FakeHandler): FakeHandler {
  return (request, response) => {
    if (!request.url.endsWith('/embeddings')) return handler(request, response);
    const body = request.body as { input: string | string[]; model: string };
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    const data = inputs.map((text, index) => ({ object: 'embedding', index, embedding: wordVector(text) }));
    sendJson(response, 200, { object: 'list', data, model: body.model, usage: { prompt_tokens: inputs.length, total_tokens: inputs.length } });
  };
}

function wordVector(text: string): number[] {
  const vector = new Array<number>(64).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let hash = 7;
    for (const char of word) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_003;
    vector[hash % 64]! += 1;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}
