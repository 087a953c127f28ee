import type { ErrorCode } from '../errors/codes.ts';
import { GatewayError } from '../errors/gateway-error.ts';

export interface ProviderCallErrorOptions {
  provider: string;
  modelId: string;
  /** The provider's HTTP status, when it answered. */
  statusCode?: number;
  /** What went wrong, already free of secrets (see redactSecrets). */
  message: string;
  /** How long the provider asked us to wait (Retry-After), in ms. */
  retryAfterMs?: number;
  /** Forces a code where the status alone cannot tell (timeouts, refused connections, context length). */
  code?: ErrorCode;
  /** The SDK's own error: kept for the logs, with its messages and stack redacted like `message`. */
  cause?: unknown;
  /** The configured key(s), masked in the cause too. Default: none (key-shaped text is masked anyway). */
  secrets?: readonly string[];
}

/**
 * A failed provider call. Its code, and so `retryable`, follows the status: 408/409/429/5xx/529 and
 * network failures are retryable; 400/401/403/404/422 and context-length errors are not.
 */
export class ProviderCallError extends GatewayError {
  readonly provider: string;
  readonly modelId: string;
  readonly statusCode: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(options: ProviderCallErrorOptions) {
    const code = options.code ?? codeForStatus(options.statusCode);
    // An SDK's error may quote the request (its Authorization header, a key in the URL): logs serialize
    // the cause chain, so it is kept only as a redacted copy.
    super(code, `${options.provider}: ${options.message}`, { cause: redactedCause(options.cause, options.secrets) });
    this.name = 'ProviderCallError';
    this.provider = options.provider;
    this.modelId = options.modelId;
    this.statusCode = options.statusCode;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function codeForStatus(status: number | undefined): ErrorCode {
  if (status === undefined) return 'provider_unavailable';
  if (status === 401 || status === 403) return 'provider_auth_failed';
  if (status === 408) return 'provider_timeout';
  if (status === 429) return 'provider_rate_limited';
  if (status === 409 || status >= 500) return 'provider_error';
  if (status >= 400) return 'provider_bad_request';
  return 'provider_error';
}

const contextLengthPattern = /context[ _-]?length|context window|too many tokens|prompt is too long|maximum context|exceeds the (maximum|limit)/i;

export function isContextLengthMessage(message: string) {
  return contextLengthPattern.test(message);
}

/** `retry-after-ms` (ms) wins over `retry-after` (seconds or an HTTP date); absent or unparseable: undefined. */
export function parseRetryAfter(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Removes secrets from a provider's message before it goes anywhere: the configured keys themselves,
 * and anything shaped like a key or bearer token (providers echo masked keys in auth errors).
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let result = text;
  for (const secret of secrets) if (secret.length >= 8) result = result.replaceAll(secret, '[redacted]');
  return result
    .replace(/\b(sk|pk|rk|gsk|xai|AIza)[-_A-Za-z0-9*]{8,}/g, '[redacted]')
    .replace(/\bBearer\s+[-_A-Za-z0-9.~+/=*]{8,}/gi, 'Bearer [redacted]');
}

/** A copy of an error chain with every message and stack redacted; its name and `code` kept (networkErrorCode reads them). */
export function redactedCause(cause: unknown, secrets: readonly string[] = [], depth = 0): unknown {
  if (cause === undefined || cause === null) return undefined;
  if (!(cause instanceof Error)) return redactSecrets(String(cause), secrets);
  const copy = new Error(redactSecrets(cause.message, secrets), depth < 5 && cause.cause !== undefined ? { cause: redactedCause(cause.cause, secrets, depth + 1) } : {});
  copy.name = cause.name;
  copy.stack = redactSecrets(cause.stack ?? '', secrets);
  const { code, status } = cause as { code?: unknown; status?: unknown };
  return Object.assign(copy, code === undefined ? {} : { code }, status === undefined ? {} : { status });
}

/** Network-level failure codes that mean "could not reach", as Node and undici report them. */
const unreachable = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET']);

/** Finds a network error code anywhere in a cause chain. */
export function networkErrorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 6; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && unreachable.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
