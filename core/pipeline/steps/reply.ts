import type { InboundJob } from '../../contracts/job.ts';
import type { OkReply } from '../../contracts/reply.ts';
import { textOf } from '../../models/collect-stream.ts';
import { servedBy } from '../../models/served-by.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Inferred } from './infer.ts';
import type { RateLimited } from './rate-limit.ts';
import type { Routed } from './route-tier.ts';

/** The calls the model asked the client to make, in the reply's own shape. */
function toolCallsOf(content: Inferred['result']['content']) {
  const calls = content.flatMap((part) => (part.type === 'tool-call' ? [{ id: part.toolCallId, name: part.toolName, arguments: part.input }] : []));
  return calls.length ? { toolCalls: calls } : {};
}

/** What every reply to a job carries, answer or error: which job, request and conversation, and where it goes. */
export function replyEnvelope(job: InboundJob) {
  return {
    v: 1 as const,
    jobId: job.id,
    requestId: job.requestId,
    conversationId: job.conversationId,
    replyTo: job.replyTo,
    createdAt: new Date().toISOString(),
  };
}

export interface Replied {
  reply: OkReply;
}

/**
 * Builds the one reply to this job. The runner hands it to the queue as the job's result, and the
 * queue returns it to the adapter named in `replyTo`.
 */
export function reply(): Step<JobContext & Partial<RateLimited> & Routed & Inferred, Replied> {
  return {
    name: 'reply',
    async run(ctx, next) {
      const { job, model, result } = ctx;
      ctx.reply = {
        ...replyEnvelope(job),
        status: 'ok',
        message: { role: 'assistant', content: textOf(result.content), ...toolCallsOf(result.content) },
        model: servedBy(model, result),
        finishReason: result.finishReason,
        usage: result.usage,
        route: { tier: ctx.route.tier, reason: ctx.route.reason },
        ...(ctx.rateLimits ? { rateLimits: ctx.rateLimits } : {}),
      };
      await next();
    },
  };
}
