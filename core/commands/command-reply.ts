import type { InboundJob } from '../contracts/job.ts';
import type { OkReply, ReplyAction } from '../contracts/reply.ts';
import type { JobContext } from '../pipeline/context.ts';
import { replyEnvelope } from '../pipeline/steps/reply.ts';

/** The name answers from the gateway itself (commands, pairing) carry in place of a model's. */
export const gatewayModel = 'gateway';

const noUsage = { inputTokens: 0, outputTokens: 0 };

/**
 * A reply written by the gateway, not a model; a streaming job gets it as one part, so every adapter
 * shows it alike. `actions` become buttons under it where the chat has them.
 */
export async function gatewayReply(ctx: Pick<JobContext, 'job' | 'publish'>, text: string, actions?: ReplyAction[]): Promise<OkReply> {
  const { job } = ctx;
  if (job.request.stream) {
    await ctx.publish({ type: 'start', model: gatewayModel, created: Math.floor(Date.now() / 1000) });
    await ctx.publish({ type: 'text', delta: text });
    await ctx.publish({ type: 'finish', finishReason: 'stop', usage: noUsage });
  }
  return {
    ...replyEnvelope(job as InboundJob),
    status: 'ok',
    message: { role: 'assistant', content: text },
    model: gatewayModel,
    finishReason: 'stop',
    usage: noUsage,
    ...(actions?.length ? { actions } : {}),
  };
}
