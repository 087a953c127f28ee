import { coreMetrics } from '../../metrics/core-metrics.ts';
import type { RoleLimits } from '../../config/config.ts';
import type { InboundJob } from '../../contracts/job.ts';
import type { LimitOverrides } from '../../store/store.ts';
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

/** The limits that apply: an override replaces the default, 0 removes it. */
function effective(defaults: { requestsPerMinute?: number; tokensPerMinute?: number } | undefined, overrides: LimitOverrides) {
  const pick = (override: number | undefined, fallback: number | undefined) => (override === undefined ? fallback : override || undefined);
  return {
    requestsPerMinute: pick(overrides.requestsPerMinute, defaults?.requestsPerMinute),
    tokensPerMinute: pick(overrides.tokensPerMinute, defaults?.tokensPerMinute),
  };
}

interface Bucket extends BucketSpec {
  kind: 'requests' | 'tokens';
  /** Whose limit, in a refusal: "your" or "this API key's". */
  whose: string;
}

/**
 * Token buckets shared by every process, requests and tokens per minute: the user's (role defaults
 * or their own overrides) and, for a request made with an API key, the key's too; one Lua script takes
 * from all of them or none. Tokens are reserved by estimate before the call and reconciled with the
 * provider's usage after it, streams included (a command, which calls no model, gives its reservation
 * back). A refused HTTP request gets 429 and when to retry; a refused chat user is told once per wait,
 * and their further messages meanwhile go unanswered.
 */
export function rateLimit(services?: RateLimitServices): Step<JobContext & Authenticated, RateLimited> {
  return {
    name: 'rate-limit',
    async run(ctx, next) {
      const { job, user, apiKey } = ctx;
      const { buckets, notices, outputReserve = 256 } = services ?? {};
      const reserve = reservedTokens(job, outputReserve);
      // A hash tag per user: every bucket of theirs in one Redis Cluster slot, so one script takes from all.
      const specs: Bucket[] = [];
      const add = (limits: ReturnType<typeof effective>, prefix: string, whose: string) => {
        if (limits.requestsPerMinute) specs.push({ kind: 'requests', whose, key: `${prefix}:requests`, capacity: limits.requestsPerMinute, cost: 1 });
        if (limits.tokensPerMinute) specs.push({ kind: 'tokens', whose, key: `${prefix}:tokens`, capacity: limits.tokensPerMinute, cost: reserve });
      };
      add(effective(user.role === 'admin' ? services?.limits.admin : services?.limits.user, user.limits), `{${user.id}}`, 'your');
      if (apiKey) add(effective(undefined, apiKey.limits), `{${user.id}}:key:${apiKey.id}`, 'this API key\'s');
      if (!buckets || specs.length === 0) {
        ctx.rateLimits = undefined;
        await next();
        return;
      }
      // Once per job: a retried job was admitted (and charged) already. A first attempt skips the lookup,
      // so a job restarted after its worker died (still attempt 1) may be charged one request twice.
      const taken = await ctx.checkpoints.once('rate-limit', () => buckets.take(specs), { fresh: ctx.attempt === 1 });
      ctx.rateLimits = stateOf(taken.buckets, specs);
      if (!taken.allowed) throw await refusal(ctx, taken, specs, notices);

      await next();

      // Onion: the answer is in by now. Charge what it really cost (a stream's usage comes with its end),
      // without holding the reply back for it. (Only a retry after the pipeline, when handing the reply on
      // fails, could reconcile twice: a small error, once, bounded by the bucket's debt limit.)
      const { result } = ctx as typeof ctx & Partial<Inferred>;
      const used = result ? result.usage.inputTokens + result.usage.outputTokens : 0;
      for (const spec of specs.filter((s) => s.kind === 'tokens')) {
        buckets.adjust(spec, used - spec.cost).catch((error: unknown) => ctx.log.warn({ err: error }, 'could not reconcile the token bucket'));
      }
    },
  };
}

/** Per dimension, the tighter bucket: what OpenAI's x-ratelimit-* headers report. */
function stateOf(levels: BucketLevel[], specs: Bucket[]): RateLimitState {
  const state: RateLimitState = {};
  for (const spec of specs) {
    const found = levels.find((level) => level.key === spec.key);
    if (!found || (state[spec.kind] && state[spec.kind]!.remaining <= found.remaining)) continue;
    state[spec.kind] = { limit: found.limit, remaining: found.remaining, resetMs: found.resetMs };
  }
  return state;
}

async function refusal(ctx: JobContext & Authenticated, taken: Extract<TakeResult, { allowed: false }>, specs: Bucket[], notices?: OnceWithin) {
  const { retryAfterMs } = taken;
  const short = (spec: Bucket) => (taken.buckets.find((level) => level.key === spec.key)?.remaining ?? spec.cost) < spec.cost;
  if (retryAfterMs === null) {
    const tokens = specs.find((spec) => spec.kind === 'tokens' && spec.cost > spec.capacity)!;
    coreMetrics.rateLimited.inc({ scope: tokens.key.includes(':key:') ? 'key' : 'user', kind: 'tokens' });
    return new GatewayError(
      'rate_limited',
      `This request needs about ${tokens.cost} tokens, more than ${tokens.whose} limit of ${tokens.capacity} tokens per minute; send a shorter one.`,
    );
  }
  const limit = specs.find((spec) => spec.kind === 'requests' && short(spec)) ?? specs.find(short) ?? specs[0]!;
  coreMetrics.rateLimited.inc({ scope: limit.key.includes(':key:') ? 'key' : 'user', kind: limit.kind });
  const what = `${limit.whose} limit of ${limit.capacity} ${limit.kind} per minute`;
  const message = `You have reached ${what}. Please try again in ${seconds(retryAfterMs)} s.`;
  // A chat user is told once per wait; HTTP clients get their 429 every time, as they expect.
  if (ctx.job.source.platform !== 'http' && notices && !(await notices.claim(`{${ctx.user.id}}:limit-notice`, retryAfterMs))) {
    return new GatewayError('rate_limited_again', message, { retryAfterMs });
  }
  return new GatewayError('rate_limited', message, { retryAfterMs });
}
