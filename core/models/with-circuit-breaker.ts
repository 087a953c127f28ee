import { GatewayError } from '../errors/gateway-error.ts';
import type { LanguageModel, StreamPart } from './language-model.ts';

export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Where circuit state lives. Shared across every worker (Redis, see queue/circuit-store.ts), so when
 * one worker sees a provider die, all of them skip it at once.
 */
export interface CircuitBreakerStore {
  /** May a call go through now? `half-open` means this caller holds the one probe. */
  permit(key: string): Promise<{ allowed: true; state: CircuitState } | { allowed: false; retryInMs: number }>;
  record(key: string, outcome: 'success' | 'failure'): Promise<CircuitState>;
  state(key: string): Promise<{ state: CircuitState; consecutiveFailures: number; retryInMs?: number }>;
}

/** The breaker key of a model: one circuit per provider and model. */
export const circuitKey = (model: { provider: string; modelId: string }) => `${model.provider}/${model.modelId}`;

/** Failures that say the provider is unwell; a refused request (400, context length) says nothing about it. */
function isProviderFailure(error: unknown) {
  return error instanceof GatewayError && (error.retryable || error.code === 'provider_auth_failed') && error.code !== 'circuit_open';
}

/**
 * Skips a model whose circuit is open (failing with `circuit_open`, which failover passes over), and
 * records every outcome: consecutive failures or a failure ratio open it; after a cool-down one probe
 * is let through, whose success closes it again.
 */
export function withCircuitBreaker(model: LanguageModel, store: CircuitBreakerStore): LanguageModel {
  const key = circuitKey(model);

  const admit = async () => {
    const permit = await store.permit(key);
    if (!permit.allowed) {
      throw new GatewayError('circuit_open', `${key} is failing and is skipped for ${Math.ceil(permit.retryInMs / 1000)} s.`);
    }
  };
  const failed = async (error: unknown) => {
    await store.record(key, isProviderFailure(error) ? 'failure' : 'success').catch(() => {});
  };
  // A success cannot open a circuit, so the answer need not wait for it to be counted.
  const succeeded = () => void store.record(key, 'success').catch(() => {});

  return {
    provider: model.provider,
    modelId: model.modelId,

    async doGenerate(options) {
      await admit();
      try {
        const result = await model.doGenerate(options);
        succeeded();
        return result;
      } catch (error) {
        await failed(error);
        throw error;
      }
    },

    async doStream(options) {
      await admit();
      let started;
      try {
        started = await model.doStream(options);
      } catch (error) {
        await failed(error);
        throw error;
      }
      const source = started.stream;
      async function* recorded(): AsyncGenerator<StreamPart> {
        for await (const part of source) {
          if (part.type === 'finish') succeeded();
          if (part.type === 'error') await failed(part.error);
          yield part;
        }
      }
      return { stream: recorded() };
    },
  };
}
