import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { inboundJobSchema, platformSchema } from '../contracts/job.ts';
import type { ErrorReply, OkReply } from '../contracts/reply.ts';
import { GatewayError, serializeError, toGatewayError } from '../errors/gateway-error.ts';
import type { Checkpoints, JobContext } from './context.ts';
import { createGiveUpPipeline, createPipeline, type PipelineServices } from './pipeline.ts';
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
  /**
   * The id the queue holds this job under (BullMQ's jobId). Every adapter queues a job under its own
   * `id`, the id its identity token is bound to; a job found under another id is a copy of a genuine job
   * re-added by something else, and is refused. Default: not checked (no queue, as in unit tests).
   */
  queueJobId?: string;
  /**
   * Set when the queue has given up on the job (it stopped its workers too many times): the job is not
   * run, only authenticated, then answered with this error, recorded and audited like any failure.
   */
  giveUp?: GatewayError;
}

const publishNowhere = async () => undefined;

/** Runs one attempt of one job through the pipeline and decides its outcome; never throws. */
export function createJobRunner(services: PipelineServices & { log: Logger }) {
  const run = createPipeline(services).build<JobContext & Partial<Replied & RateLimited>>((step, ms) => coreMetrics.stepSeconds.observe({ step }, ms / 1000));
  const authenticateOnly = createGiveUpPipeline(services).build<JobContext & Partial<Replied & RateLimited>>();
  const { store, log, prices = new PriceTable() } = services;
  const outcomes = { store, prices };

  /**
   * Audits a job refused before the pipeline could read who sent it: no actor, and only what is safe
   * and bounded, never the payload or its token. One record per queue id, so a redelivery adds none.
   */
  const auditUnread = async (queueJobId: string | undefined, error: GatewayError, detail: Record<string, unknown>) => {
    const key = createHash('sha256').update(queueJobId ?? randomUUID()).digest('hex').slice(0, 32);
    await store
      .appendAudit({
        id: `queue-${key}:chat`,
        requestId: `queue-${key}`,
        at: new Date().toISOString(),
        actorId: null,
        action: 'chat.completion',
        outcome: 'refused',
        detail: { ...(queueJobId === undefined ? {} : { jobId: bounded(queueJobId, 100) }), ...detail, errorCode: error.code },
      })
      .catch((cause: unknown) => log.error({ err: cause }, 'audit failed'));
    const platform = platformSchema.safeParse(detail.platform);
    coreMetrics.jobs.inc({ platform: platform.success ? platform.data : 'unknown', outcome: 'refused' });
  };

  return async function runJob(data: unknown, attemptInfo: AttemptInfo): Promise<JobOutcome> {
    const { attempt, final, checkpoints, abortSignal = new AbortController().signal, publish = publishNowhere, queueJobId, giveUp } = attemptInfo;
    const parsed = inboundJobSchema.safeParse(data);
    if (!parsed.success) {
      const issues = summarizeIssues(parsed.error.issues);
      const error = new GatewayError('job_invalid', `The job does not match the InboundJob schema: ${issues}`);
      const platform = (data as { source?: { platform?: unknown } } | null | undefined)?.source?.platform;
      log.warn({ code: error.code, jobId: queueJobId === undefined ? undefined : bounded(queueJobId, 100), issues }, 'dropped an invalid job');
      await auditUnread(queueJobId, error, { ...(typeof platform === 'string' ? { platform: bounded(platform, 20) } : {}), issues });
      return { kind: 'drop', error };
    }
    const job = parsed.data;
    if (queueJobId !== undefined && queueJobId !== job.id) {
      const error = new GatewayError('job_unauthenticated', 'The job is queued under another id than the one its identity token is bound to.');
      log.warn({ code: error.code, jobId: bounded(queueJobId, 100), claimedJobId: job.id }, 'refused a job copied under another id');
      await auditUnread(queueJobId, error, { claimedJobId: job.id, platform: job.source.platform, conversationId: job.conversationId });
      return { kind: 'drop', error };
    }
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
      if (giveUp) {
        await authenticateOnly(ctx);
        throw giveUp;
      }
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

/** At most `max` characters of `text`, marked when cut; never half of a surrogate pair. */
function bounded(text: string, max: number) {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text[max - 1] ?? '') ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

/**
 * The first few schema issues, each `path: message`, bounded: enough to see what was wrong without
 * repeating the payload (zod's messages name what was expected, not the value; paths are cut short, as
 * a record's keys come from the input). Reads only the first issues, so a payload with a million bad
 * entries costs no more to describe than one with three.
 */
export function summarizeIssues(issues: readonly z.core.$ZodIssue[], max = 3): string {
  const shown = issues.slice(0, max).map((issue) => {
    const path = issue.path.slice(0, 6).map((part) => bounded(String(typeof part === 'symbol' ? part.description : part), 32)).join('.');
    return `${path || '(root)'}: ${bounded(issue.message, 120)}`;
  });
  const more = issues.length > max ? `; and ${issues.length - max} more` : '';
  return `${shown.join('; ')}${more}`;
}
