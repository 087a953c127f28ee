import type { ErrorCode } from '../../../errors/codes.ts';
import { isContextLengthMessage, networkErrorCode, parseRetryAfter, ProviderCallError, redactSecrets } from '../../provider-error.ts';
import { googleErrorBodySchema, type GoogleErrorBody } from './google-api.ts';

export const provider = 'google';

/** What an error needs to know about the call: whom to blame, and which secret must never show. */
export interface GoogleCallContext {
  modelId: string;
  apiKey: string;
}

type GoogleErrorDetail = GoogleErrorBody['error'];

/**
 * A non-2xx answer as a ProviderCallError. Google's message is passed on (it says what to fix), with
 * secrets removed: auth errors may echo the key. Gemini rarely sends Retry-After; its 429s carry a
 * RetryInfo detail instead, read when the header is absent.
 */
export async function googleErrorFromResponse(response: Response, context: GoogleCallContext): Promise<ProviderCallError> {
  const text = await response.text().catch(() => '');
  const detail = parseErrorBody(text);
  const retryAfterMs = parseRetryAfter(response.headers) ?? retryDelayMs(detail);
  return googleError(response.status, detail, context, { retryAfterMs, fallbackMessage: text || response.statusText });
}

/** An error Google reports inside a stream (`data: {"error": {...}}`) after a 200. */
export function googleErrorFromStreamChunk(detail: GoogleErrorDetail, context: GoogleCallContext): ProviderCallError {
  // The HTTP status is already 200; the code inside says what happened (429, 500, 503...).
  return googleError(detail.code, detail, context, { retryAfterMs: retryDelayMs(detail) });
}

function googleError(
  statusCode: number | undefined,
  detail: GoogleErrorDetail | undefined,
  context: GoogleCallContext,
  { retryAfterMs, fallbackMessage = '' }: { retryAfterMs?: number | undefined; fallbackMessage?: string },
): ProviderCallError {
  const raw = detail?.message ?? fallbackMessage.slice(0, 500);
  const message = redactSecrets(detail?.status ? `${detail.status}: ${raw}` : raw || 'request failed', [context.apiKey]);
  return new ProviderCallError({
    provider,
    modelId: context.modelId,
    statusCode,
    message: statusCode === undefined ? message : `${message} (HTTP ${statusCode})`,
    retryAfterMs,
    code: overrideCode(statusCode, detail, raw),
  });
}

/** Where the status alone misleads: Google answers a wrong key and an oversized prompt with plain 400s. */
function overrideCode(statusCode: number | undefined, detail: GoogleErrorDetail | undefined, message: string): ErrorCode | undefined {
  if (statusCode !== 400) return undefined;
  const reasons = (detail?.details ?? []).map((entry) => entry.reason);
  if (reasons.some((reason) => typeof reason === 'string' && reason.startsWith('API_KEY_'))) return 'provider_auth_failed';
  if (isContextLengthMessage(message) || /token count .*exceeds/i.test(message)) return 'context_length_exceeded';
  return undefined;
}

function parseErrorBody(text: string): GoogleErrorDetail | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  // Some Google endpoints wrap the error in a one-element array.
  const body = googleErrorBodySchema.safeParse(Array.isArray(json) ? json[0] : json);
  return body.success ? body.data.error : undefined;
}

/** RetryInfo's `retryDelay` is a protobuf Duration in JSON: "37s", "0.5s". */
function retryDelayMs(detail: GoogleErrorDetail | undefined): number | undefined {
  for (const entry of detail?.details ?? []) {
    const match = typeof entry.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(entry.retryDelay) : null;
    if (match) return Math.round(Number(match[1]) * 1000);
  }
  return undefined;
}

/** fetch itself failed: nothing reached Google, or the connection broke before an answer. */
export function googleNetworkError(error: unknown, context: GoogleCallContext): ProviderCallError {
  const code = networkErrorCode(error);
  return new ProviderCallError({
    provider,
    modelId: context.modelId,
    message: `could not reach the Gemini API${code ? ` (${code})` : ''}`,
    code: 'provider_unavailable',
    cause: error,
    secrets: [context.apiKey],
  });
}

/** A 2xx answer the gateway cannot read, or a stream that broke: Google's fault, worth a retry elsewhere. */
export function googleProviderError(message: string, context: GoogleCallContext, cause?: unknown): ProviderCallError {
  return new ProviderCallError({
    provider,
    modelId: context.modelId,
    message: redactSecrets(message, [context.apiKey]),
    code: 'provider_error',
    cause,
    secrets: [context.apiKey],
  });
}
