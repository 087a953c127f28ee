// The page's whole conversation with the gateway: the OpenAI-compatible API it already serves, so the
// page needs no endpoint of its own. No DOM here: it runs in Node too, where it is tested.

/** A refusal or failure as the gateway reported it (`{error: {message, code}}`), or as the page saw it. */
export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {{ status?: number, code?: string, retryAfter?: number }} [details]
   */
  constructor(message, { status, code, retryAfter } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** What a network failure (no answer at all) is called, so the page can say so plainly. */
export const unreachable = 'Could not reach the gateway. Check your connection, or whether the gateway is running.';

/**
 * The error of a response that is not ok, from its JSON body and `Retry-After`.
 * @param {Response} response
 * @returns {Promise<ApiError>}
 */
export async function readError(response) {
  const body = await response.json().catch(() => undefined);
  const error = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : {};
  const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
  const message = typeof error.message === 'string' && error.message ? error.message : `The gateway answered ${response.status} ${response.statusText}`.trim();
  return new ApiError(message, {
    status: response.status,
    code: typeof error.code === 'string' ? error.code : undefined,
    retryAfter: Number.isFinite(retryAfter) ? retryAfter : undefined,
  });
}

/**
 * What to tell the person, plainly: a rate limit with its wait, a provider failure as one, the gateway's
 * own message otherwise.
 * @param {unknown} error
 * @returns {string}
 */
export function describeError(error) {
  if (!(error instanceof ApiError)) return unreachable;
  const limited = error.status === 429 || error.code === 'rate_limited' || error.code === 'provider_rate_limited';
  if (limited) {
    // Retry-After is whole seconds; a limit reported mid-stream has only its message ("… try again in 3 s.").
    const seconds = error.retryAfter ?? Number(error.message.match(/try again in (\d+)\s*s\b/i)?.[1] ?? Number.NaN);
    if (Number.isFinite(seconds)) return `Rate limited: try again in ${seconds} s.`;
  }
  if (error.code && providerDown.has(error.code)) return `The AI provider is not answering right now. ${error.message}`;
  return error.message;
}

/** Failures of the provider behind the gateway (not of the request): worth saying so before the detail. */
const providerDown = new Set(['provider_error', 'provider_unavailable', 'provider_timeout', 'provider_rate_limited', 'circuit_open', 'timeout']);

/**
 * The data of each Server-Sent Event in a byte stream (comments and other fields skipped), per the
 * EventSource parsing rules: lines end with LF, CRLF or CR; a blank line ends an event.
 * @param {ReadableStream<Uint8Array>} body
 * @returns {AsyncGenerator<string>}
 */
export async function* sseData(body) {
  const reader = body.getReader();
  // Streaming decode: a character cut between two reads is kept whole.
  const decoder = new TextDecoder();
  let buffer = '';
  /** @type {string[]} */
  let data = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      // A CR at the very end may be the first half of a CRLF: kept until the next read.
      const lines = buffer.split(/\r\n|\r(?!$)|\n/);
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') {
          if (data.length) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * The title the gateway gives a conversation: its first user message, whitespace collapsed, cut to 80
 * characters. The page titles its own conversations the same way, so both lists read alike.
 * @param {string} text
 */
export function storedTitle(text) {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/** @param {unknown} value */
const stringOr = (value, fallback = '') => (typeof value === 'string' ? value : fallback);
/** @param {unknown} content a string, or OpenAI text parts */
const textOf = (content) =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.map((part) => stringOr(part?.text)).join('') : '';

/**
 * A listed conversation, whichever spelling the gateway uses (`updated_at` or `updatedAt`).
 * @param {any} conversation
 * @returns {{ id: string, title: string, platform: string, updatedAt: string }}
 */
const toSummary = (conversation) => ({
  id: stringOr(conversation?.id),
  title: stringOr(conversation?.title),
  platform: stringOr(conversation?.platform),
  updatedAt: stringOr(conversation?.updated_at ?? conversation?.updatedAt),
});

/**
 * A stored message, its content as text.
 * @param {any} message
 * @returns {{ role: string, content: string, createdAt: string }}
 */
const toStoredMessage = (message) => ({
  role: stringOr(message?.role),
  content: textOf(message?.content),
  createdAt: stringOr(message?.created_at ?? message?.createdAt),
});

/**
 * A client for one credential (a JWT or an `sk-gw-…` API key).
 * @param {{ token: string, fetch?: typeof fetch }} options
 */
export function createClient({ token, fetch: fetchImpl = globalThis.fetch.bind(globalThis) }) {
  /**
   * @param {string} path
   * @param {RequestInit} [init]
   */
  const call = async (path, init = {}) => {
    try {
      return await fetchImpl(path, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new ApiError(unreachable);
    }
  };
  /** @param {string} path */
  const getJson = async (path) => {
    const response = await call(path, { headers: { accept: 'application/json' } });
    if (!response.ok) throw await readError(response);
    return response.json();
  };
  /**
   * A list endpoint's data, or null where this gateway has no such endpoint (an older one): the page then
   * keeps to what it stored itself.
   * @param {string} path
   * @returns {Promise<unknown[] | null>}
   */
  const listOrNull = async (path) => {
    const response = await call(path, { headers: { accept: 'application/json' } });
    if (response.status === 404) return null;
    if (!response.ok) throw await readError(response);
    const body = await response.json();
    return Array.isArray(body?.data) ? body.data : null;
  };

  return {
    /** @returns {Promise<string[]>} the model ids this credential may call; also checks the credential. */
    async listModels() {
      const body = await getJson('/v1/models');
      return Array.isArray(body?.data) ? body.data.map((/** @type {{ id: string }} */ model) => model.id) : [];
    },

    /** The caller's conversations as the gateway stored them, newest first; null where it keeps none. */
    async listConversations() {
      const listed = await listOrNull('/v1/conversations');
      return listed && listed.map(toSummary).filter((conversation) => conversation.id);
    },

    /** One stored conversation's messages, oldest first; null where the gateway keeps none. @param {string} id */
    async conversationMessages(id) {
      const listed = await listOrNull(`/v1/conversations/${encodeURIComponent(id)}/messages`);
      return listed && listed.map(toStoredMessage);
    },

    /**
     * Streams one answer. Resolves when it is complete; rejects with an ApiError (refused, failed
     * mid-stream, cut off), or with the abort when `signal` aborts: the gateway then cancels the job.
     * `onRecord` learns the gateway's id for the conversation (the one its list shows), even when refused.
     * @param {{ model: string, messages: { role: string, content: string }[], conversationId: string, signal?: AbortSignal,
     *   onDelta: (text: string) => void, onModel?: (model: string) => void, onRecord?: (id: string) => void }} request
     */
    async streamChat({ model, messages, conversationId, signal, onDelta, onModel, onRecord }) {
      const response = await call('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-conversation-id': conversationId },
        body: JSON.stringify({ model, messages, stream: true }),
        signal,
      });
      const record = response.headers.get('x-gateway-conversation-id');
      if (record) onRecord?.(record);
      if (!response.ok || !response.body) throw await readError(response);
      let seenModel = '';
      try {
        for await (const data of sseData(response.body)) {
          if (data === '[DONE]') return;
          const chunk = JSON.parse(data);
          // The gateway ends a failed stream with an error event and no [DONE], never a clean finish.
          if (chunk.error) throw new ApiError(chunk.error.message ?? 'The answer failed.', { code: chunk.error.code });
          if (chunk.model && chunk.model !== seenModel) onModel?.((seenModel = chunk.model));
          const text = chunk.choices?.[0]?.delta?.content;
          if (text) onDelta(text);
        }
      } catch (error) {
        if (error instanceof ApiError || signal?.aborted) throw error;
        if (error instanceof SyntaxError) throw new ApiError('The gateway sent a part of the answer that could not be read.');
        throw new ApiError('The connection to the gateway was lost before the answer finished.');
      }
      throw new ApiError('The answer was cut off before it finished.');
    },
  };
}
