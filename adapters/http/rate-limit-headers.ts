import type { Reply } from '../../core/contracts/reply.ts';

/** A duration as OpenAI writes it in `x-ratelimit-reset-*`: `59ms`, `1.5s`, `6m0s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Number(((ms % 60_000) / 1000).toFixed(3));
  return minutes ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/**
 * The sender's limits as OpenAI sends them, on answers and refusals alike, so clients that pace
 * themselves by these headers work unchanged; with a refusal, `Retry-After` (whole seconds) and
 * `retry-after-ms`, both of which the OpenAI SDKs honour.
 */
export function rateLimitHeaders(reply: Reply | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [kind, state] of Object.entries(reply?.rateLimits ?? {})) {
    if (!state) continue;
    headers[`x-ratelimit-limit-${kind}`] = String(state.limit);
    headers[`x-ratelimit-remaining-${kind}`] = String(state.remaining);
    headers[`x-ratelimit-reset-${kind}`] = formatDuration(state.resetMs);
  }
  const retryAfterMs = reply?.status === 'error' ? reply.error.retryAfterMs : undefined;
  if (retryAfterMs !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    headers['retry-after-ms'] = String(retryAfterMs);
  }
  return headers;
}
