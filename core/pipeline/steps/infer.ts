import { collectStream } from '../../models/collect-stream.ts';
import type { GenerateResult } from '../../models/language-model.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Prompted } from './build-prompt.ts';
import type { Routed } from './route-tier.ts';

export interface Inferred {
  result: GenerateResult;
  /** Milliseconds spent waiting for the model: the upstream share of the job's latency. */
  inferMs: number;
}

/** The paid call. Checkpointed by job id: a job retried after a later step failed does not pay twice. */
export function infer(): Step<JobContext & Prompted & Routed, Inferred> {
  return {
    name: 'infer',
    async run(ctx, next) {
      const started = performance.now();
      // Streamed from the provider even when the client waits for the whole answer: a provider that
      // hangs before its first byte is then detected within the first-byte timeout and failed over.
      ctx.result = await ctx.checkpoints.once('infer', async () =>
        collectStream(
          await ctx.model.doStream({
            prompt: ctx.prompt,
            temperature: ctx.job.request.temperature,
            maxOutputTokens: ctx.job.request.maxOutputTokens,
          }),
        ),
      );
      ctx.inferMs = performance.now() - started;
      await next();
    },
  };
}
