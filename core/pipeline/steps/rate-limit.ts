import type { RoleLimits } from '../../config/config.ts';
import type { InboundJob } from '../../contracts/job.ts';
import type { RateLimitState } from '../../contracts/reply.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { BucketLevel, BucketSpec, OnceWithin, TakeResult, TokenBuckets } from '../../limits/token-buckets.ts';
import { estimateMessageTokens } from '../../models/estimate-tokens.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Authenticated } from './authenticate.ts';
import type { Inferred } from './infer.ts';

export interface RateLimited {
  /** The sender's buckets after this job's take; undefined when their role has no limits. */
  rateLimits: RateLimitState | undefined;
}

export interface RateLimitServices {
  buckets: TokenBuckets;
  notices: OnceWithin;
  limits: RoleLimits;
  /** Output tokens reserved when the request sets no maximum; reconciled with real usage after. Default: 256. */
  outputReserve?: number;
}

/** What a job is charged before the call: its input, by estimate, and the output it may ask for. */
function reservedTokens(job: InboundJob, outputReserve: number) {
  const input = job.input.messages.reduce((sum, message) => sum + estimateMessageTokens(message.content), 0);
  return input + (job.request.maxOutputTokens ?? outputReserve);
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * Per-user token buckets, requests and tokens per minute, by role, shared by every process (one Lua
 * script takes from both or neither). Tokens are reserved by estimate before the call and reconciled
 * with the provider's usage after it, streams included. A refused HTTP request gets 429 and when to
 * retry; a refused chat user is told once per wait, and their further messages meanwhile go unanswered.
 */
export function rateLimit(services?: RateLimitServices): Step<JobContext & Authenticated, RateLimited> {
  return {
    name: 'rate-limit',
    async run(ctx, next) {
      const { job, user } = ctx;
      const { requestsPerMinute, tokensPerMinute } = (user.role === 'admin' ? services?.limits.admin : services?.limits.user) ?? {};
      if (!services || (!requestsPerMinute && !tokensPerMinute)) {
        ctx.rateLimits = undefined;
        await next();
        return;
      }
      // A hash tag per user: both buckets in one Redis Cluster slot, so one script can take from both.
      const requests = requestsPerMinute ? { key: `{${user.id}}:requests`, capacity: requestsPerMinute, cost: 1 } : undefined;
      const { buckets, notices, outputReserve = 256 } = services;
      const tokens = tokensPerMinute ? { key: `{${user.id}}:tokens`, capacity: tokensPerMinute, cost: reservedTokens(job, outputReserve) } : undefined;
      const specs = [requests, tokens].filter((spec): spec is BucketSpec => spec !== undefined);
      // Once per job: a retried job was admitted (and charged) already. A first attempt skips the lookup,
      // so a job restarted after its worker died (still attempt 1) may be charged one request twice.
      const taken = await ctx.checkpoints.once('rate-limit', () => buckets.take(specs), { fresh: ctx.attempt === 1 });
      ctx.rateLimits = stateOf(taken.buckets, requests, tokens);
      if (!taken.allowed) throw await refusal(ctx, taken, requests, tokens, notices);

      await next();

      // Onion: the answer is in by now. Charge what it really cost (a stream's usage comes with its end),
      // without holding the reply back for it. (Only a retry after the pipeline, when handing the reply on
      // fails, could reconcile twice: a small error, once, bounded by the bucket's debt limit.)
      const { result } = ctx as typeof ctx & Partial<Inferred>;
      if (tokens && result) {
        const used = result.usage.inputTokens + result.usage.outputTokens;
        buckets.adjust(tokens, used - tokens.cost).catch((error: unknown) => ctx.log.warn({ err: error }, 'could not reconcile the token bucket'));
      }
    },
  };
}

function stateOf(levels: BucketLevel[], requests?: BucketSpec, tokens?: BucketSpec): RateLimitState {
  const level = (spec?: BucketSpec) => {
    const found = spec && levels.find((l) => l.key === spec.key);
    return found ? { limit: found.limit, remaining: found.remaining, resetMs: found.resetMs } : undefined;
  };
  const state: RateLimitState = {};
  const requestLevel = level(requests);
  const tokenLevel = level(tokens);
  if (requestLevel) state.requests = requestLevel;
  if (tokenLevel) state.tokens = tokenLevel;
  return state;
}

async function refusal(ctx: JobContext & Authenticated, taken: Extract<TakeResult, { allowed: false }>, requests?: BucketSpec, tokens?: BucketSpec, notices?: OnceWithin) {
  const { retryAfterMs } = taken;
  if (retryAfterMs === null) {
    return new GatewayError(
      'rate_limited',
      `This request needs about ${tokens?.cost} tokens, more than your limit of ${tokens?.capacity} tokens per minute; send a shorter one.`,
    );
  }
  const short = requests && (taken.buckets.find((l) => l.key === requests.key)?.remaining ?? 1) < 1;
  const what = short ? `${requests.capacity} requests per minute` : `${tokens?.capacity} tokens per minute`;
  const message = `You have reached your limit of ${what}. Please try again in ${seconds(retryAfterMs)} s.`;
  // A chat user is told once per wait; HTTP clients get their 429 every time, as they expect.
  if (ctx.job.source.platform !== 'http' && notices && !(await notices.claim(`{${ctx.user.id}}:limit-notice`, retryAfterMs))) {
    return new GatewayError('rate_limited_again', message, { retryAfterMs });
  }
  return new GatewayError('rate_limited', message, { retryAfterMs });
}
