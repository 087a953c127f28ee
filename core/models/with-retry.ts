import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../errors/gateway-error.ts';
import { providerMetrics } from '../metrics/provider-metrics.ts';
import type { CallOptions, LanguageModel } from './language-model.ts';

export interface RetryOptions {
  /** Retries after the first attempt. Default: 2. */
  maxRetries?: number;
  /** Default: 500 ms. */
  baseDelayMs?: number;
  /** Default: 8000 ms. */
  maxDelayMs?: number;
  /** A provider asking to wait longer than this is not waited for; the error goes up (to failover). Default: 30 000 ms. */
  maxRetryAfterMs?: number;
  /** Default: Math.random. */
  random?: () => number;
}

/**
 * Retries retryable failures with exponential backoff and full jitter (a random delay up to
 * base·2^attempt, capped), or exactly the provider's Retry-After when it gave one. A stream is retried
 * only until it starts: after the first event, an answer is never restarted.
 */
export function withRetry(model: LanguageModel, options: RetryOptions = {}): LanguageModel {
  const { maxRetries = 2, baseDelayMs = 500, maxDelayMs = 8000, maxRetryAfterMs = 30_000, random = Math.random } = options;

  async function attempt<T>(call: CallOptions, run: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry += 1) {
      try {
        return await run();
      } catch (error) {
        if (!(error instanceof GatewayError) || !error.retryable || retry >= maxRetries || call.abortSignal?.aborted) throw error;
        const retryAfter = (error as { retryAfterMs?: number }).retryAfterMs;
        if (retryAfter !== undefined && retryAfter > maxRetryAfterMs) throw error;
        const delay = retryAfter ?? random() * Math.min(maxDelayMs, baseDelayMs * 2 ** retry);
        providerMetrics.retries.inc({ provider: model.provider, model: model.modelId });
        await sleep(delay, undefined, { signal: call.abortSignal });
      }
    }
  }

  return {
    provider: model.provider,
    modelId: model.modelId,
    doGenerate: (call) => attempt(call, () => model.doGenerate(call)),
    doStream: (call) => attempt(call, () => model.doStream(call)),
  };
}
