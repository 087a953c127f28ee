/**
 * The one registry of error codes. A code is a promise to clients: it appears in HTTP error bodies
 * (OpenAI's `error.code`), in logs and in audit records, so codes are never renamed, only added.
 *
 * `type` is OpenAI's error `type`, so OpenAI clients classify our errors as they classify theirs.
 */
export const errorCodes = {
  invalid_json: { status: 400, retryable: false, type: 'invalid_request_error' },
  invalid_request: { status: 400, retryable: false, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, retryable: false, type: 'invalid_request_error' },
  payload_too_large: { status: 413, retryable: false, type: 'invalid_request_error' },
  not_found: { status: 404, retryable: false, type: 'invalid_request_error' },
  model_not_found: { status: 404, retryable: false, type: 'invalid_request_error' },
  missing_token: { status: 401, retryable: false, type: 'invalid_request_error' },
  invalid_token: { status: 401, retryable: false, type: 'invalid_request_error' },
  token_expired: { status: 401, retryable: false, type: 'invalid_request_error' },
  forbidden: { status: 403, retryable: false, type: 'permission_error' },
  /** A job in Redis that does not match the InboundJob schema: never retried, never answered. */
  job_invalid: { status: 400, retryable: false, type: 'invalid_request_error' },
  /** A job whose identity token is missing, forged or expired: never retried, never answered, audited. */
  job_unauthenticated: { status: 401, retryable: false, type: 'invalid_request_error' },
  provider_error: { status: 502, retryable: true, type: 'api_error' },
  store_unavailable: { status: 503, retryable: true, type: 'api_error' },
  queue_unavailable: { status: 503, retryable: true, type: 'api_error' },
  timeout: { status: 504, retryable: true, type: 'api_error' },
  internal_error: { status: 500, retryable: false, type: 'api_error' },
} as const satisfies Record<string, { status: number; retryable: boolean; type: string }>;

export type ErrorCode = keyof typeof errorCodes;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value);
}
