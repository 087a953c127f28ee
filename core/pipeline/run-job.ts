import type { Logger } from 'pino';
import { inboundJobSchema } from '../contracts/job.ts';
import type { ErrorReply, OkReply } from '../contracts/reply.ts';
import { GatewayError, serializeError, toGatewayError } from '../errors/gateway-error.ts';
import type { Checkpoints, JobContext } from './context.ts';
import { createPipeline, type PipelineServices } from './pipeline.ts';
import { coreMetrics } from '../metrics/core-metrics.ts';
import { PriceTable } from '../usage/prices.ts';
import { recordOutcome, type FinishedJob } from './steps/audit.ts';
import type { RateLimited } from './steps/rate-limit.ts';
import { replyEnvelope, type Replied } from './steps/reply.ts';

/**
 * What the queue should do with a job after one attempt:
 * - `reply`: the job is answered (well, or with an error a person can read); complete it with this result;
 * - `retry`: a transient failure with attempts left; let the queue try again later;
 * - `drop`: never answer and never retry (an invalid or unauthenticated job).
 */
export type JobOutcome =
  | { kind: 'reply'; reply: OkReply | ErrorReply }
  | { kind: 'retry'; error: GatewayError }
  | { kind: 'drop'; error: GatewayError };

export interface AttemptInfo {
  /** 1 on the first attempt. */
  attempt: number;
  /** Whether the queue will not try again after this attempt. */
  final: boolean;
  checkpoints: Checkpoints;
  /** Aborts when the client cancels. Default: never. */
  abortSignal?: AbortSignal;
  /** Where a streaming job's parts go. Default: nowhere (a job that does not stream). */
  publish?: JobContext['publish'];
}

const publishNowhere = async () => undefined;

/** Runs one attempt of one job through the pipeline and decides its outcome; never throws. */
export function createJobRunner(services: PipelineServices & { log: Logger }) {
  const run = createPipeline(services).build<JobContext & Partial<Replied & RateLimited>>((step, ms) => coreMetrics.stepSeconds.observe({ step }, ms / 1000));
  const { store, log, prices = new PriceTable() } = services;
  const outcomes = { store, prices };

  return async function runJob(data: unknown, attemptInfo: AttemptInfo): Promise<JobOutcome> {
    const { attempt, final, checkpoints, abortSignal = new AbortController().signal, publish = publishNowhere } = attemptInfo;
    const parsed = inboundJobSchema.safeParse(data);
    if (!parsed.success) {
      const error = new GatewayError('job_invalid', `The job does not match the InboundJob schema: ${parsed.error.message}`);
      log.warn({ err: error }, 'dropped an invalid job');
      return { kind: 'drop', error };
    }
    const job = parsed.data;
    const ctx: FinishedJob & Partial<Replied & RateLimited> = {
      job,
      attempt,
      startedAt: Date.now(),
      checkpoints,
      log: log.child({ requestId: job.requestId, jobId: job.id }),
      abortSignal,
      publish,
    };
    try {
      await run(ctx);
      if (!ctx.reply) throw new Error('the pipeline ended without a reply');
      return { kind: 'reply', reply: ctx.reply };
    } catch (thrown) {
      const error = toGatewayError(thrown);
      if (!ctx.user) {
        // Never answer a sender we could not authenticate, but leave a trace of the attempt.
        ctx.log.warn({ code: error.code, err: thrown }, 'refused a job');
        await recordOutcome(outcomes, ctx, error).catch((cause: unknown) => ctx.log.error({ err: cause }, 'audit failed'));
        return error.retryable && !final ? { kind: 'retry', error } : { kind: 'drop', error };
      }
      if (error.retryable && !final) {
        ctx.log.warn({ code: error.code, attempt, err: thrown }, 'attempt failed; the queue will retry');
        return { kind: 'retry', error };
      }
      if (error.code === 'rate_limited_again' || error.code === 'pairing_pending') {
        // Told once already (when to come back, or their pairing code): recorded, not answered again.
        await recordOutcome(outcomes, ctx, error).catch((cause: unknown) => ctx.log.error({ err: cause }, 'audit failed'));
        return { kind: 'drop', error };
      }
      if (error.code === 'cancelled') ctx.log.info('job cancelled by its client');
      else if (error.code === 'rate_limited') ctx.log.info({ retryAfterMs: error.retryAfterMs }, 'rate limited');
      else if (error.status < 500) ctx.log.info({ code: error.code }, 'job refused');
      else ctx.log.error({ code: error.code, err: thrown }, 'job failed; answering with the error');
      await recordOutcome(outcomes, ctx, error).catch((cause: unknown) => ctx.log.error({ err: cause }, 'audit failed'));
      // The one place a stream's terminal error is published: a subscriber ends on it.
      if (job.request.stream) await publish({ type: 'error', error: serializeError(error) }).catch(() => {});
      return {
        kind: 'reply',
        reply: {
          ...replyEnvelope(job),
          ...(ctx.rateLimits ? { rateLimits: ctx.rateLimits } : {}),
          status: 'error',
          error: serializeError(error),
        },
      };
    }
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;
