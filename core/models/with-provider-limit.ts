import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../errors/gateway-error.ts';
import type { BucketSpec, TokenBuckets } from '../limits/token-buckets.ts';
import { estimatePromptTokens } from './estimate-tokens.ts';
import type { CallOptions, LanguageModel, StreamPart } from './language-model.ts';

export interface ProviderLimitOptions {
  /** The provider's requests per minute; undefined: none. */
  requestsPerMinute?: number;
  /** The provider's tokens per minute; undefined: none. */
  tokensPerMinute?: number;
  /** How long a call may wait for room before it is refused (and failover tries the next). Default: 2 000 ms. */
  maxWaitMs?: number;
  /** Output tokens reserved when the call sets no maximum; reconciled with real usage. Default: 256. */
  outputReserve?: number;
  /** Where the settings came from, for the refusal's message. Default: none. */
  setting?: string;
}

/**
 * Keeps every process together within a provider's own limits, so the provider never has to refuse
 * us: a call takes from the provider's buckets (shared through Redis) and, when they are empty, waits
 * briefly for room; past `maxWaitMs` it fails with `provider_rate_limited`, which failover passes to the
 * next provider and retry waits out by its `retryAfterMs`. Tokens are reserved by estimate and
 * reconciled with the usage the provider reports; a call the circuit breaker stopped is given back.
 */
export function withProviderLimit(model: LanguageModel, buckets: TokenBuckets, options: ProviderLimitOptions): LanguageModel {
  const { requestsPerMinute, tokensPerMinute, maxWaitMs = 2000, outputReserve = 256, setting = '' } = options;
  if (!requestsPerMinute && !tokensPerMinute) return model;
  // Per provider: its limits are the account's, whichever of its models is called.
  const requests = requestsPerMinute ? { key: `{provider:${model.provider}}:requests`, capacity: requestsPerMinute } : undefined;
  const tokens = tokensPerMinute ? { key: `{provider:${model.provider}}:tokens`, capacity: tokensPerMinute } : undefined;

  const admit = async (call: CallOptions) => {
    const reserved = estimatePromptTokens(call.prompt, call.tools) + (call.maxOutputTokens ?? outputReserve);
    const specs: BucketSpec[] = [...(requests ? [{ ...requests, cost: 1 }] : []), ...(tokens ? [{ ...tokens, cost: reserved }] : [])];
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const taken = await buckets.take(specs);
      if (taken.allowed) return reserved;
      const wait = taken.retryAfterMs;
      if (wait === null || Date.now() + wait > deadline) {
        const limits = [requests && `${requests.capacity} requests`, tokens && `${tokens.capacity} tokens`].filter(Boolean).join(' and ');
        const when = wait === null ? 'this request alone is larger than that' : `room again in ${Math.ceil(wait / 1000)} s`;
        // Retryable, as the code is: failover moves on to a provider with room.
        throw new GatewayError(
          'provider_rate_limited',
          `${model.provider} is at its configured limit of ${limits} per minute${setting ? ` (${setting})` : ''}; ${when}.`,
          wait === null ? {} : { retryAfterMs: wait },
        );
      }
      await sleep(wait, undefined, { signal: call.abortSignal });
    }
  };
  const settle = (reserved: number, used: number | undefined) => {
    if (tokens && used !== undefined) buckets.adjust(tokens, used - reserved).catch(() => {});
  };
  // The call never reached the provider: give back what it took.
  const giveBack = (reserved: number, error: unknown) => {
    if (!(error instanceof GatewayError && error.code === 'circuit_open')) return;
    if (requests) buckets.adjust(requests, -1).catch(() => {});
    if (tokens) buckets.adjust(tokens, -reserved).catch(() => {});
  };

  return {
    provider: model.provider,
    modelId: model.modelId,

    async doGenerate(call) {
      const reserved = await admit(call);
      try {
        const result = await model.doGenerate(call);
        settle(reserved, result.usage.inputTokens + result.usage.outputTokens);
        return result;
      } catch (error) {
        giveBack(reserved, error);
        throw error;
      }
    },

    async doStream(call) {
      const reserved = await admit(call);
      let started;
      try {
        started = await model.doStream(call);
      } catch (error) {
        giveBack(reserved, error);
        throw error;
      }
      const source = started.stream;
      async function* counted(): AsyncGenerator<StreamPart> {
        for await (const part of source) {
          if (part.type === 'finish') settle(reserved, part.usage.inputTokens + part.usage.outputTokens);
          yield part;
        }
      }
      return { stream: counted() };
    },
  };
}
