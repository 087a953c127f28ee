import type { CallOptions, LanguageModel, StreamPart } from './language-model.ts';
import { ProviderCallError } from './provider-error.ts';

export interface TimeoutOptions {
  /** How long a call may wait for the provider's first event. */
  firstByteMs: number;
  /** How long one attempt may take in all. */
  totalMs: number;
}

/**
 * Bounds one attempt: no first event within `firstByteMs`, or no end within `totalMs`, aborts the HTTP
 * call and fails with `provider_timeout` (retryable, so retry and failover take over). The caller's own
 * abort still cancels everything.
 */
export function withTimeouts(model: LanguageModel, { firstByteMs, totalMs }: TimeoutOptions): LanguageModel {
  const timeout = (what: string, ms: number) =>
    new ProviderCallError({ provider: model.provider, modelId: model.modelId, code: 'provider_timeout', message: `${what} within ${ms} ms` });

  const arm = (options: CallOptions) => {
    const controller = new AbortController();
    const timers: NodeJS.Timeout[] = [];
    // The error is made only when the timer fires: nearly every call ends first, and building an
    // error (its stack) on every request was measurable under load.
    const after = (ms: number, error: () => ProviderCallError) => {
      const timer = setTimeout(() => controller.abort(error()), ms);
      timers.push(timer);
      return timer;
    };
    const signal = options.abortSignal ? AbortSignal.any([options.abortSignal, controller.signal]) : controller.signal;
    return { controller, signal, after, clear: () => timers.forEach(clearTimeout) };
  };

  return {
    provider: model.provider,
    modelId: model.modelId,

    async doGenerate(options) {
      const { signal, after, clear, controller } = arm(options);
      after(totalMs, () => timeout('no answer', totalMs));
      try {
        return await model.doGenerate({ ...options, abortSignal: signal });
      } catch (error) {
        throw controller.signal.aborted ? controller.signal.reason : error;
      } finally {
        clear();
      }
    },

    async doStream(options) {
      const { signal, after, clear, controller } = arm(options);
      after(totalMs, () => timeout('no complete answer', totalMs));
      const firstByte = after(firstByteMs, () => timeout('no first byte', firstByteMs));
      let started;
      try {
        started = await model.doStream({ ...options, abortSignal: signal });
      } catch (error) {
        clear();
        throw controller.signal.aborted ? controller.signal.reason : error;
      }
      clearTimeout(firstByte);
      const source = started.stream;
      async function* guarded(): AsyncGenerator<StreamPart> {
        try {
          for await (const part of source) yield part;
        } catch (error) {
          // A provider that throws on abort instead of yielding an error part: end the stream cleanly.
          const reason = controller.signal.aborted ? controller.signal.reason : error;
          if (reason instanceof ProviderCallError) yield { type: 'error', error: reason };
          else throw reason;
        } finally {
          clear();
        }
      }
      return { stream: guarded() };
    },
  };
}
