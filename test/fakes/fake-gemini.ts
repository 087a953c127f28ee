import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { GoogleModel } from '../../core/models/providers/google/index.ts';
import { sendJson, sendSse, startFakeServer, type FakeHandler, type RecordedRequest, type SseOptions } from './fake-server.ts';

/**
 * A fake Gemini API (generativelanguage.googleapis.com, v1beta) speaking the real wire format:
 * JSON for :generateContent and :batchEmbedContents, `data: {...}` SSE chunks for
 * :streamGenerateContent?alt=sse, and Google's error JSON. It checks the `x-goog-api-key` header as
 * Google does, and answers a method its reply was not meant for with Google's 404, so a wrong URL
 * fails the test instead of passing silently.
 */

export const fakeGeminiKey = 'gemini-test-key-5f2c9a7e31d8';

type GeminiMethod = 'generateContent' | 'streamGenerateContent' | 'batchEmbedContents';

/** How the fake answers: for one method, or (without `method`) for any. */
export interface GeminiReply {
  method?: GeminiMethod;
  handler: FakeHandler;
}

export interface FakeGemini {
  origin: string;
  apiKey: string;
  requests: RecordedRequest[];
  /** The last request received. */
  readonly last: RecordedRequest | undefined;
  /** Replaces how the next requests are answered. */
  reply(reply: GeminiReply): void;
  close(): Promise<void>;
}

const routePattern = /^\/v1beta\/models\/([^/:?]+):(\w+)(?:\?(.*))?$/;

export async function startFakeGemini({ apiKey = fakeGeminiKey }: { apiKey?: string } = {}): Promise<FakeGemini> {
  let current: GeminiReply = replyText('Hello from the fake Gemini.');
  const server = await startFakeServer(async (request, response) => {
    const key = request.headers['x-goog-api-key'];
    if (key === undefined) {
      return sendGoogleError(response, 403, 'PERMISSION_DENIED', "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
    }
    if (key !== apiKey) {
      return sendGoogleError(response, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', {
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }],
      });
    }
    const route = routePattern.exec(request.url);
    if (request.method !== 'POST' || !route || (current.method && route[2] !== current.method)) {
      return sendGoogleError(response, 404, 'NOT_FOUND', `The fake has no answer for ${request.method} ${request.url}.`);
    }
    await current.handler(request, response);
  });
  return {
    origin: server.origin,
    apiKey,
    requests: server.requests,
    get last() {
      return server.requests.at(-1);
    },
    reply(next) {
      current = next;
    },
    close: () => server.close(),
  };
}

/**
 * One fake Gemini for the calling test file (started before its tests, closed after them) and a
 * fresh GoogleModel on it for each test.
 */
export function useFakeGemini({ modelId = 'gemini-2.5-flash' }: { modelId?: string } = {}): {
  readonly fake: FakeGemini;
  readonly model: GoogleModel;
} {
  let fake: FakeGemini | undefined;
  let model: GoogleModel | undefined;
  beforeAll(async () => {
    fake = await startFakeGemini();
  });
  afterAll(() => fake?.close());
  beforeEach(() => {
    model = new GoogleModel({ apiKey: fake!.apiKey, baseURL: fake!.origin, modelId });
  });
  return {
    get fake() {
      if (!fake) throw new Error('the fake Gemini is not started yet');
      return fake;
    },
    get model() {
      if (!model) throw new Error('the GoogleModel is made before each test');
      return model;
    },
  };
}

// ---- Replies ----

/** A :generateContent answer. */
export function replyGenerate(body: unknown): GeminiReply {
  return { method: 'generateContent', handler: (_request, response) => sendJson(response, 200, body) };
}

export function replyText(text: string): GeminiReply {
  return replyGenerate(geminiResponse({ parts: [{ text }] }));
}

export interface GeminiSseOptions extends SseOptions {
  /** End lines with \r\n, as Google's servers do. Default: \n. */
  crlf?: boolean;
}

/** A :streamGenerateContent?alt=sse answer: each chunk one `data:` event (strings sent verbatim). */
export function replyStream(chunks: unknown[], options: GeminiSseOptions = {}): GeminiReply {
  return {
    method: 'streamGenerateContent',
    handler: async (request, response) => {
      if (!request.url.includes('alt=sse')) return sendJson(response, 200, chunks); // Google's non-SSE form: one JSON array.
      if (options.crlf) return sendCrlfSse(response, chunks, options);
      return sendSse(response, chunks.map((data) => ({ data })), options);
    },
  };
}

/** A :batchEmbedContents answer; by default one vector per request, derived from the text's length. */
export function replyEmbeddings(vectors?: number[][]): GeminiReply {
  return {
    method: 'batchEmbedContents',
    handler: (request, response) => {
      const requests = (request.body as { requests: { content: { parts: { text: string }[] } }[] }).requests;
      const embeddings = vectors ?? requests.map((entry) => [entry.content.parts[0]?.text.length ?? 0, 0.5, -0.25]);
      sendJson(response, 200, { embeddings: embeddings.map((values) => ({ values })) });
    },
  };
}

/** Google's error JSON with its HTTP status, for any method. */
export function replyError(
  status: number,
  googleStatus: string,
  message: string,
  extra: { details?: unknown[]; headers?: Record<string, string> } = {},
): GeminiReply {
  return { handler: (_request, response) => sendGoogleError(response, status, googleStatus, message, extra) };
}

/** Any handler, for any method (raw bytes, hangs). */
export function replyWith(handler: FakeHandler): GeminiReply {
  return { handler };
}

function sendGoogleError(
  response: ServerResponse,
  status: number,
  googleStatus: string,
  message: string,
  { details, headers }: { details?: unknown[]; headers?: Record<string, string> } = {},
) {
  sendJson(response, status, { error: { code: status, message, status: googleStatus, ...(details ? { details } : {}) } }, headers);
}

async function sendCrlfSse(response: ServerResponse, chunks: unknown[], { delayMs = 0, cutAfter }: SseOptions) {
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const [index, chunk] of chunks.entries()) {
    if (cutAfter !== undefined && index >= cutAfter) return void response.destroy();
    response.write(`data: ${typeof chunk === 'string' ? chunk : JSON.stringify(chunk)}\r\n\r\n`);
    if (delayMs) await sleep(delayMs);
  }
  response.end();
}

// ---- Body builders ----

export interface GeminiUsage {
  prompt?: number;
  candidates?: number;
  thoughts?: number;
  cached?: number;
}

export function usageMetadata({ prompt = 10, candidates = 5, thoughts, cached }: GeminiUsage = {}) {
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    ...(thoughts !== undefined ? { thoughtsTokenCount: thoughts } : {}),
    ...(cached !== undefined ? { cachedContentTokenCount: cached } : {}),
    totalTokenCount: prompt + candidates + (thoughts ?? 0),
  };
}

export function functionCallPart(name: string, args?: Record<string, unknown>, id?: string) {
  return { functionCall: { ...(id ? { id } : {}), name, ...(args ? { args } : {}) } };
}

/** A GenerateContentResponse (also one stream chunk): one candidate; `finishReason: null` leaves it out. */
export function geminiResponse({
  parts,
  finishReason = 'STOP',
  usage = {},
  responseId = 'resp-fake-1',
  modelVersion = 'gemini-2.5-flash',
}: {
  parts?: unknown[];
  finishReason?: string | null;
  usage?: GeminiUsage | null;
  responseId?: string;
  modelVersion?: string;
}) {
  return {
    candidates: [
      {
        ...(parts ? { content: { role: 'model', parts } } : {}),
        ...(finishReason ? { finishReason } : {}),
        index: 0,
      },
    ],
    ...(usage ? { usageMetadata: usageMetadata(usage) } : {}),
    modelVersion,
    responseId,
  };
}
