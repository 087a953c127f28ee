import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { GatewayError } from '../../../errors/gateway-error.ts';
import { isContextLengthMessage, networkErrorCode, parseRetryAfter, ProviderCallError, redactSecrets } from '../../provider-error.ts';

export interface ErrorContext {
  provider: string;
  modelId: string;
  apiKey: string;
}

/** Whatever the openai SDK threw, as a typed provider error whose `retryable` follows the status. */
export function toProviderError(error: unknown, { provider, modelId, apiKey }: ErrorContext): GatewayError {
  if (error instanceof GatewayError) return error;
  const base = { provider, modelId, cause: error, secrets: [apiKey] };
  if (error instanceof APIConnectionTimeoutError) {
    return new ProviderCallError({ ...base, code: 'provider_timeout', message: 'the request timed out' });
  }
  if (error instanceof APIConnectionError) {
    const code = networkErrorCode(error);
    return new ProviderCallError({ ...base, message: `could not connect${code ? ` (${code})` : ''}` });
  }
  if (error instanceof APIError && error.status !== undefined) {
    const body = error.error as { message?: unknown } | undefined;
    const detail = typeof body?.message === 'string' ? body.message : error.message;
    const message = redactSecrets(detail, [apiKey]);
    const contextLength = error.code === 'context_length_exceeded' || (error.status === 400 && isContextLengthMessage(message));
    return new ProviderCallError({
      ...base,
      statusCode: error.status,
      message: error.status === 401 || error.status === 403 ? `the provider refused the configured API key (HTTP ${error.status})` : message,
      retryAfterMs: parseRetryAfter(error.headers),
      ...(contextLength ? { code: 'context_length_exceeded' as const } : {}),
    });
  }
  const code = networkErrorCode(error);
  if (code) return new ProviderCallError({ ...base, message: `could not connect (${code})` });
  return new ProviderCallError({
    ...base,
    code: 'provider_error',
    message: `unreadable answer: ${redactSecrets(error instanceof Error ? error.message : String(error), [apiKey])}`,
  });
}
