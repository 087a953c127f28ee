import type { StreamPart as RelayPart } from '../../contracts/stream-part.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { collectStream } from '../../models/collect-stream.ts';
import type { GenerateResult, LanguageModel, StreamPart } from '../../models/language-model.ts';
import { servedBy } from '../../models/served-by.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Prompted } from './build-prompt.ts';
import type { Routed } from './route-tier.ts';

export interface Inferred {
  result: GenerateResult;
  /** Milliseconds spent waiting for the model: the upstream share of the job's latency. */
  inferMs: number;
}

/**
 * The paid call. Streamed from the provider even when the client waits for the whole answer, so a
 * provider that hangs before its first byte is caught by the first-byte timeout and failed over.
 * Checkpointed by job id: a job retried after a later step failed does not pay twice. For a streaming
 * job the parts are published as they come; once one is out, a failure is final, since an answer
 * already partly sent must not be restarted.
 */
export function infer(): Step<JobContext & Prompted & Routed, Inferred> {
  return {
    name: 'infer',
    async run(ctx, next) {
      const started = performance.now();
      const { job, model } = ctx;
      ctx.result = await ctx.checkpoints.once('infer', async () => {
        const { request } = job;
        const { stream } = await model.doStream({
          prompt: ctx.prompt,
          temperature: request.temperature,
          maxOutputTokens: request.maxOutputTokens,
          stopSequences: request.stopSequences,
          tools: request.tools?.map((tool) => ({ name: tool.name, description: tool.description, inputSchema: tool.parameters })),
          toolChoice:
            request.toolChoice === undefined
              ? undefined
              : typeof request.toolChoice === 'string'
                ? { type: request.toolChoice }
                : { type: 'tool', toolName: request.toolChoice.name },
          abortSignal: ctx.abortSignal,
        });
        if (!request.stream) return collectStream({ stream });
        const relayed = relay(stream, model, ctx.route, ctx.publish);
        try {
          return await collectStream({ stream: relayed.parts });
        } catch (error) {
          if (!relayed.published() || !(error instanceof GatewayError)) throw error;
          throw new GatewayError(error.code, error.message, { param: error.param ?? undefined, retryable: false, cause: error });
        } finally {
          await relayed.flushed();
        }
      });
      ctx.inferMs = performance.now() - started;
      await next();
    },
  };
}

/** Passes the model's parts through, publishing each as the relay part clients see. */
function relay(source: AsyncIterable<StreamPart>, model: LanguageModel, route: Routed['route'], publish: (part: RelayPart) => Promise<unknown>) {
  let last: Promise<unknown> = Promise.resolve();
  let published = false;
  const send = (part: RelayPart) => {
    published = true;
    last = publish(part);
  };
  async function* parts(): AsyncGenerator<StreamPart> {
    const indexes = new Map<string, number>();
    let announced = false;
    for await (const part of source) {
      if (!announced && part.type !== 'error') {
        announced = true;
        const deployment = part.type === 'response-metadata' && part.deployment ? part.deployment : servedBy(model);
        send({ type: 'start', model: deployment, created: Math.floor(Date.now() / 1000), route: { tier: route.tier, reason: route.reason } });
      }
      if (part.type === 'text-delta') send({ type: 'text', delta: part.delta });
      if (part.type === 'tool-input-start') {
        indexes.set(part.id, part.index);
        send({ type: 'tool-start', index: part.index, id: part.id, name: part.toolName });
      }
      if (part.type === 'tool-input-delta') send({ type: 'tool-delta', index: indexes.get(part.id) ?? 0, delta: part.delta });
      if (part.type === 'finish') send({ type: 'finish', finishReason: part.finishReason, usage: part.usage });
      yield part;
    }
  }
  return { parts: parts(), published: () => published, flushed: () => last };
}
