import { toGatewayError } from '../errors/gateway-error.ts';
import { providerMetrics } from '../metrics/provider-metrics.ts';
import type { LanguageModel, StreamPart } from './language-model.ts';

/**
 * Times every call to the provider (duration, time to first token) and counts its failures, by provider
 * and model. Wraps the bare deployment, so retries and failover show as the separate calls they are.
 */
export function withMetrics(model: LanguageModel): LanguageModel {
  const labels = { provider: model.provider, model: model.modelId };
  const failed = (started: number, error: unknown) => {
    const { code } = toGatewayError(error);
    // The caller's own cancel says nothing about the provider.
    if (code === 'cancelled') return;
    providerMetrics.seconds.observe({ ...labels, outcome: 'error' }, (performance.now() - started) / 1000);
    providerMetrics.errors.inc({ ...labels, code });
  };

  async function* timed(stream: AsyncIterable<StreamPart>, started: number): AsyncGenerator<StreamPart> {
    let first = true;
    let outcome: 'ok' | 'error' | undefined;
    try {
      for await (const part of stream) {
        if (first && (part.type === 'text-delta' || part.type === 'tool-input-start' || part.type === 'tool-call')) {
          first = false;
          providerMetrics.firstTokenSeconds.observe(labels, (performance.now() - started) / 1000);
        }
        if (part.type === 'finish') outcome = 'ok';
        if (part.type === 'error') {
          outcome = 'error';
          failed(started, part.error);
        }
        yield part;
      }
    } catch (error) {
      if (outcome === undefined) {
        outcome = 'error';
        failed(started, error);
      }
      throw error;
    } finally {
      // A stream the caller stopped reading early (cancelled) is neither; it is not timed.
      if (outcome === 'ok') providerMetrics.seconds.observe({ ...labels, outcome }, (performance.now() - started) / 1000);
    }
  }

  return {
    provider: model.provider,
    modelId: model.modelId,
    async doGenerate(call) {
      const started = performance.now();
      try {
        const result = await model.doGenerate(call);
        providerMetrics.seconds.observe({ ...labels, outcome: 'ok' }, (performance.now() - started) / 1000);
        return result;
      } catch (error) {
        failed(started, error);
        throw error;
      }
    },
    async doStream(call) {
      const started = performance.now();
      try {
        const { stream } = await model.doStream(call);
        return { stream: timed(stream, started) };
      } catch (error) {
        failed(started, error);
        throw error;
      }
    },
  };
}
