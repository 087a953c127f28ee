import { GatewayError } from '../errors/gateway-error.ts';
import { providerMetrics } from '../metrics/provider-metrics.ts';
import type { LanguageModel, StreamPart } from './language-model.ts';

/** Worth trying the next deployment: the provider failed, was skipped, refused our key, or the prompt did not fit. */
function shouldFailOver(error: unknown) {
  return (
    error instanceof GatewayError &&
    (error.retryable || ['provider_auth_failed', 'circuit_open', 'context_length_exceeded'].includes(error.code))
  );
}

/**
 * Tries each model in order until one answers. A stream fails over only until it starts (its first
 * event); after that a failure ends the stream with an error part, so an answer is never sent twice.
 * The answer says which provider and model served it.
 */
export function withFailover(models: readonly LanguageModel[]): LanguageModel {
  const [primary] = models;
  if (!primary) throw new Error('withFailover needs at least one model');

  async function first<T>(abortSignal: AbortSignal | undefined, call: (model: LanguageModel) => Promise<T>) {
    let lastError: unknown;
    for (const model of models) {
      try {
        return { model, value: await call(model) };
      } catch (error) {
        if (!shouldFailOver(error) || abortSignal?.aborted) throw error;
        if (model !== models.at(-1)) providerMetrics.failovers.inc({ provider: model.provider, model: model.modelId });
        lastError = error;
      }
    }
    throw lastError;
  }

  return {
    provider: primary.provider,
    modelId: primary.modelId,

    async doGenerate(options) {
      const { model, value } = await first(options.abortSignal, (m) => m.doGenerate(options));
      return { ...value, response: { ...value.response, deployment: `${model.provider}/${model.modelId}` } };
    },

    async doStream(options) {
      const { model, value } = await first(options.abortSignal, (m) => m.doStream(options));
      async function* announced(): AsyncGenerator<StreamPart> {
        yield { type: 'response-metadata', deployment: `${model.provider}/${model.modelId}` };
        yield* value.stream;
      }
      return { stream: announced() };
    },
  };
}
