import type { ErrorCode } from '../../errors/codes.ts';
import type { GatewayError } from '../../errors/gateway-error.ts';
import { servedBy } from '../../models/served-by.ts';
import type { Store } from '../../store/store.ts';
import { splitDeployment, type PriceTable } from '../../usage/prices.ts';
import { coreMetrics } from '../../metrics/core-metrics.ts';
import { exemplarOf } from '../../metrics/exposition.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Authenticated } from './authenticate.ts';
import type { Inferred } from './infer.ts';
import type { Routed } from './route-tier.ts';

/** Errors that are a decision about the sender, audited as `refused` rather than `error`. */
const refusals = new Set<ErrorCode>([
  'job_unauthenticated',
  'forbidden',
  'rate_limited',
  'rate_limited_again',
  'invalid_api_key',
  'api_key_revoked',
  'model_not_allowed',
  'budget_exceeded',
  'pairing_required',
  'pairing_pending',
  'invalid_code',
]);

/** What is known of a job when it ends, well or not: every field a later step adds may be missing. */
export type FinishedJob = JobContext & Partial<Authenticated & Routed & Inferred>;

export interface OutcomeServices {
  store: Store;
  /** Prices usage. Default: the built-in table. */
  prices: PriceTable;
}

/**
 * Writes the audit record and the request-log entry (usage and cost) for a job that ended, one each per
 * job id, and counts its tokens and cost. Called by the audit step on success and by the runner on
 * failure, so both paths record the same shape.
 */
export async function recordOutcome({ store, prices }: OutcomeServices, ctx: FinishedJob, error?: GatewayError) {
  const { job, user, model, route, result } = ctx;
  const at = new Date().toISOString();
  // Under a routing policy, a call that failed is told apart by the arm tried last.
  const routing = ctx.rounds?.routing;
  const modelName = model ? (result || !routing ? servedBy(model, result) : routing.model) : null;
  const usage = result?.usage ?? { inputTokens: 0, outputTokens: 0 };
  const costUsd = modelName ? prices.costOf(modelName, usage) : 0;
  const deployment = modelName ? splitDeployment(modelName) : undefined;
  const refused = error !== undefined && refusals.has(error.code);
  const outcome = !error ? 'ok' : refused ? 'refused' : error.code === 'cancelled' ? 'cancelled' : 'error';
  await store.appendAudit({
    id: `${job.id}:chat`,
    requestId: job.requestId,
    at,
    actorId: user?.id ?? null,
    action: 'chat.completion',
    outcome,
    detail: {
      jobId: job.id,
      platform: job.source.platform,
      conversationId: job.conversationId,
      ...(modelName ? { model: modelName } : {}),
      ...(route ? { tier: route.tier, routeReason: route.reason } : {}),
      ...(routing ? { routing: { policy: routing.policy, deployment: routing.deployment, branch: routing.branch } } : {}),
      ...(error ? { errorCode: error.code } : {}),
    },
  });
  await store.logRequest({
    requestId: job.requestId,
    jobId: job.id,
    userId: user?.id ?? null,
    apiKeyId: ctx.apiKey?.id ?? null,
    platform: job.source.platform,
    externalId: ctx.identity?.externalId ?? null,
    provider: deployment?.provider ?? null,
    model: modelName,
    tier: route?.tier ?? null,
    deployment: routing?.deployment ?? null,
    branch: routing?.branch ?? null,
    status: outcome === 'cancelled' ? 'cancelled' : error ? 'error' : 'ok',
    errorCode: error?.code ?? null,
    latencyMs: Date.now() - Date.parse(job.source.receivedAt),
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cachedInputTokens: usage.cachedInputTokens ?? 0,
    reasoningTokens: usage.reasoningTokens ?? 0,
    costUsd,
    at,
  });
  coreMetrics.jobs.inc({ platform: job.source.platform, outcome });
  if (outcome === 'ok') {
    const upstreamMs = ctx.rounds?.inferMs ?? 0;
    coreMetrics.overheadSeconds.observe({ value: Math.max(0, Date.now() - Date.parse(job.source.receivedAt) - upstreamMs) / 1000, exemplarLabels: exemplarOf(job.requestId) });
  }
  if (deployment && result) coreMetrics.countUsage(deployment, usage, costUsd);
}

export function audit(services: OutcomeServices): Step<JobContext & Authenticated & Routed & Inferred> {
  return {
    name: 'audit',
    async run(ctx, next) {
      await recordOutcome(services, ctx);
      await next();
    },
  };
}
