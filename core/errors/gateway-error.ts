import { errorCodes, isErrorCode, type ErrorCode } from './codes.ts';

export interface GatewayErrorOptions {
  /** The request parameter at fault, reported as OpenAI's `error.param`. Default: none. */
  param?: string;
  /** The underlying error, kept for logs; never shown to clients. */
  cause?: unknown;
  /** Overrides the registry's `retryable` when one occurrence knows better (a provider's 400 vs 503). */
  retryable?: boolean;
  /** When a retry can succeed, for a refusal that knows (a rate limit): sent as `Retry-After`. */
  retryAfterMs?: number;
}

/** The one error class of the gateway: a stable code from the registry, an HTTP status and a retry hint. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly retryable: boolean;
  readonly param: string | null;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const { status, type, retryable } = errorCodes[code];
    this.name = 'GatewayError';
    this.code = code;
    this.status = status;
    this.type = type;
    this.retryable = options.retryable ?? retryable;
    this.param = options.param ?? null;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Anything thrown becomes a GatewayError; unknown failures are internal and their text is not exposed. */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  return new GatewayError('internal_error', 'An internal error occurred.', { cause: error });
}

/** The plain-data form of an error that crosses process boundaries inside a Reply. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  param: string | null;
  retryable: boolean;
  retryAfterMs?: number;
}

export function serializeError(error: GatewayError): SerializedError {
  const { code, message, param, retryable, retryAfterMs } = error;
  return retryAfterMs === undefined ? { code, message, param, retryable } : { code, message, param, retryable, retryAfterMs };
}

export function deserializeError(data: SerializedError): GatewayError {
  const code = isErrorCode(data.code) ? data.code : 'internal_error';
  return new GatewayError(code, data.message, { param: data.param ?? undefined, retryable: data.retryable, retryAfterMs: data.retryAfterMs });
}
