import { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import type { ErrorCode } from '../../../errors/codes.ts';
import {
  isContextLengthMessage,
  networkErrorCode,
  ProviderCallError,
  parseRetryAfter,
  redactSecrets,
} from '../../provider-error.ts';

export interface AnthropicErrorContext {
  modelId: string;
  /** Redacted from every message, in case the provider or a proxy echoes it. */
  apiKey: string;
}

const provider = 'anthropic';

/** Provider text can be a whole HTML page from a proxy; logs and error bodies need a line, not a page. */
const maxMessageLength = 500;

/**
 * Error `type`s Anthropic sends inside a 200 stream (an `error` event has no HTTP status of its own).
 * Mapped to the code their HTTP twin would get, so overloaded mid-stream is as retryable as a 529.
 */
const streamErrorCodes: Record<string, ErrorCode> = {
  overloaded_error: 'provider_error',
  api_error: 'provider_error',
  rate_limit_error: 'provider_rate_limited',
  authentication_error: 'provider_auth_failed',
  permission_error: 'provider_auth_failed',
  invalid_request_error: 'provider_bad_request',
  not_found_error: 'provider_bad_request',
  request_too_large: 'provider_bad_request',
  timeout_error: 'provider_timeout',
};

/**
 * Anything the SDK (or its JSON parsing) throws, as a ProviderCallError whose code decides retries
 * and failover. Callers check their own abort signal first: a cancellation is not a provider failure.
 */
export function toAnthropicError(error: unknown, context: AnthropicErrorContext): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  const base = { provider, modelId: context.modelId, cause: error, secrets: [context.apiKey] };
  const clean = (text: string) => redactSecrets(text, [context.apiKey]).slice(0, maxMessageLength);

  // Before APIConnectionError: the timeout is a subclass of it.
  if (error instanceof APIConnectionTimeoutError) {
    return new ProviderCallError({ ...base, code: 'provider_timeout', message: 'the request timed out' });
  }
  if (error instanceof APIConnectionError) {
    const network = networkErrorCode(error);
    return new ProviderCallError({
      ...base,
      code: 'provider_unavailable',
      message: `could not reach the API${network ? ` (${network})` : ''}`,
    });
  }
  if (error instanceof APIError) {
    // apiMessage is the body's error.message; the SDK's own message prefixes the status and may be raw JSON or HTML.
    const text = clean(error.apiMessage ?? error.message);
    const type = error.type ?? undefined;
    // Anthropic's request id is what its support asks for; the SDK error itself is not kept as the
    // cause, since its message holds the raw, unredacted body and causes end up in logs.
    const message = `${type ? `${type}: ` : ''}${text}${error.requestID ? ` (request-id ${error.requestID})` : ''}`;
    if (error.status === undefined) {
      // An `error` event inside a stream.
      const code = (type && Object.hasOwn(streamErrorCodes, type) && streamErrorCodes[type]) || 'provider_error';
      return new ProviderCallError({ ...base, cause: undefined, code, message });
    }
    const contextLength = (error.status === 400 || error.status === 413) && isContextLengthMessage(text);
    return new ProviderCallError({
      ...base,
      cause: undefined,
      statusCode: error.status,
      retryAfterMs: parseRetryAfter(error.headers),
      ...(contextLength ? { code: 'context_length_exceeded' as const } : {}),
      message,
    });
  }
  if (error instanceof SyntaxError) {
    return new ProviderCallError({ ...base, code: 'provider_error', message: `malformed response: ${clean(error.message)}` });
  }
  const network = networkErrorCode(error);
  if (network) {
    return new ProviderCallError({ ...base, code: 'provider_unavailable', message: `could not reach the API (${network})` });
  }
  const text = error instanceof Error ? error.message : String(error);
  return new ProviderCallError({ ...base, code: 'provider_error', message: `unexpected failure: ${clean(text)}` });
}

/** A body that parsed but is not a Message (a proxy's text page, a changed format). */
export function malformedResponseError(context: AnthropicErrorContext, detail: string, cause?: unknown): ProviderCallError {
  return new ProviderCallError({
    provider,
    modelId: context.modelId,
    code: 'provider_error',
    message: `malformed response: ${redactSecrets(detail, [context.apiKey]).slice(0, maxMessageLength)}`,
    cause,
  });
}

/**
 * The stream stopped (connection cut, or closed) before message_stop. The answer is incomplete, so
 * it must never look like a clean finish.
 */
export function streamEndedError(context: AnthropicErrorContext, cause?: unknown): ProviderCallError {
  return new ProviderCallError({
    provider,
    modelId: context.modelId,
    code: 'provider_error',
    message: 'the stream ended before it finished (no message_stop)',
    cause,
  });
}
