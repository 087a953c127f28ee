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
  /** The request's headers are over the server's limit (16 KiB in all). */
  headers_too_large: { status: 431, retryable: false, type: 'invalid_request_error' },
  /** The client did not send its whole request in time (a slow or stalled sender). */
  request_timeout: { status: 408, retryable: true, type: 'invalid_request_error' },
  /** A path segment (an id in the URL) is longer than any id the gateway issues. */
  uri_too_long: { status: 414, retryable: false, type: 'invalid_request_error' },
  /** An `Expect` header other than `100-continue`, which is all the gateway understands. */
  expectation_failed: { status: 417, retryable: false, type: 'invalid_request_error' },
  /** A plain HTTP request to the WebSocket endpoint (GET /v1/ws without `Upgrade: websocket`). */
  upgrade_required: { status: 426, retryable: false, type: 'invalid_request_error' },
  not_found: { status: 404, retryable: false, type: 'invalid_request_error' },
  model_not_found: { status: 404, retryable: false, type: 'invalid_request_error' },
  missing_token: { status: 401, retryable: false, type: 'invalid_request_error' },
  invalid_token: { status: 401, retryable: false, type: 'invalid_request_error' },
  token_expired: { status: 401, retryable: false, type: 'invalid_request_error' },
  forbidden: { status: 403, retryable: false, type: 'permission_error' },
  /** An API key that is not one of ours (or was deleted). */
  invalid_api_key: { status: 401, retryable: false, type: 'invalid_request_error' },
  /** An API key an admin revoked, or whose expiry passed. */
  api_key_revoked: { status: 401, retryable: false, type: 'invalid_request_error' },
  /** The API key may not call this model. */
  model_not_allowed: { status: 403, retryable: false, type: 'permission_error' },
  /** A budget (the API key's tokens or dollars, the user's dollars this period) is spent. 402, not 429: waiting does not help, and clients do not retry it. */
  budget_exceeded: { status: 402, retryable: false, type: 'insufficient_quota' },
  /** A new chat user awaiting an admin's approval (ACCESS_MODE=pairing); the message carries their code. */
  pairing_required: { status: 403, retryable: false, type: 'permission_error' },
  /** A pending user who was given their code recently: recorded, not answered again. */
  pairing_pending: { status: 403, retryable: false, type: 'permission_error' },
  /** A link or pairing code that is unknown, used already, or expired. */
  invalid_code: { status: 400, retryable: false, type: 'invalid_request_error' },
  /** A job in Redis that does not match the InboundJob schema: never retried, never answered. */
  job_invalid: { status: 400, retryable: false, type: 'invalid_request_error' },
  /** A job whose identity token is missing, forged or expired: never retried, never answered, audited. */
  job_unauthenticated: { status: 401, retryable: false, type: 'invalid_request_error' },
  /** The provider failed (5xx, overloaded, a malformed answer, a stream cut mid-way). */
  provider_error: { status: 502, retryable: true, type: 'api_error' },
  /** The provider could not be reached (connection refused or reset, DNS). */
  provider_unavailable: { status: 503, retryable: true, type: 'api_error' },
  /** The provider did not answer in time (no first byte, or not finished, within the limit). */
  provider_timeout: { status: 504, retryable: true, type: 'api_error' },
  /** The sender is over one of our limits (requests or tokens per minute); `Retry-After` says when to come back. */
  rate_limited: { status: 429, retryable: false, type: 'rate_limit_error' },
  /** A chat user over a limit who was already told when to come back: recorded, not answered again. */
  rate_limited_again: { status: 429, retryable: false, type: 'rate_limit_error' },
  /** The provider's own rate limit (429); not ours. */
  provider_rate_limited: { status: 429, retryable: true, type: 'rate_limit_error' },
  /** The provider refused the configured credentials (401/403): a configuration problem, not the client's. */
  provider_auth_failed: { status: 502, retryable: false, type: 'api_error' },
  /** The provider refused the request itself (400/404/422), with its reason. */
  provider_bad_request: { status: 400, retryable: false, type: 'invalid_request_error' },
  /** The prompt does not fit the model's context window. */
  context_length_exceeded: { status: 400, retryable: false, type: 'invalid_request_error' },
  /** Every deployment that could serve the request has its circuit open. */
  circuit_open: { status: 503, retryable: true, type: 'api_error' },
  /** The provider cannot do what was asked (embeddings from a chat-only provider, legacy completions). */
  unsupported_by_provider: { status: 400, retryable: false, type: 'invalid_request_error' },
  /** A chat platform's own rate limit (Telegram's 429 `retry_after`): waited out, then retried. */
  platform_rate_limited: { status: 429, retryable: true, type: 'rate_limit_error' },
  /** A chat platform refused a message's formatting (Telegram's "can't parse entities"): re-sent as plain text. */
  platform_formatting_rejected: { status: 400, retryable: false, type: 'invalid_request_error' },
  /** A chat platform refused the message for good (chat gone, bot blocked or removed, no rights). */
  platform_refused: { status: 403, retryable: false, type: 'permission_error' },
  /** A chat platform failed or could not be reached. */
  platform_unavailable: { status: 503, retryable: true, type: 'api_error' },
  /** The model kept asking for tools after TOOLS_MAX_ROUNDS rounds and never answered. */
  tool_rounds_exceeded: { status: 502, retryable: false, type: 'api_error' },
  store_unavailable: { status: 503, retryable: true, type: 'api_error' },
  queue_unavailable: { status: 503, retryable: true, type: 'api_error' },
  timeout: { status: 504, retryable: true, type: 'api_error' },
  /** The client went away (closed the stream or socket, or sent cancel); the job stops and is recorded so. */
  cancelled: { status: 499, retryable: false, type: 'invalid_request_error' },
  /** This process is stopping and could not finish the request in time: ask again (another process answers). */
  shutting_down: { status: 503, retryable: true, type: 'api_error' },
  /** The queue gave up on a job that stopped its workers too many times (a crash, an out-of-memory kill): answered with this, never run again. */
  job_crashed: { status: 500, retryable: false, type: 'api_error' },
  internal_error: { status: 500, retryable: false, type: 'api_error' },
} as const satisfies Record<string, { status: number; retryable: boolean; type: string }>;

export type ErrorCode = keyof typeof errorCodes;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value);
}
