import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Actor } from '../../../core/identity/actor.ts';
import { usageGroups, usageQuerySchema, type UsageReports } from '../../../core/usage/usage-reports.ts';

export interface UsageRoutesOptions {
  usage: UsageReports;
  actorOf: (request: FastifyRequest) => Promise<Actor>;
}

const totalsShape = {
  requests: z.number().int(),
  errors: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cachedInputTokens: z.number().int(),
  reasoningTokens: z.number().int(),
  costUsd: z.number(),
  latencyMs: z.number(),
};

const usageRowSchema = z.object({
  user: z.string().nullable().optional(),
  provider: z.string().nullable().optional(),
  model: z.string().nullable().optional(),
  tier: z.string().nullable().optional(),
  platform: z.string().optional(),
  day: z.string().optional(),
  /** The routing policy's deployment (arm) that served; null: no policy routed. */
  deployment: z.string().nullable().optional(),
  /** The policy branch that chose it (`priority`, `cheapest`, `fastest`, `explore`, `weighted`, `failover`); null: no policy. */
  branch: z.string().nullable().optional(),
  ...totalsShape,
});

export const usageReportSchema = z
  .object({
    object: z.literal('usage'),
    user: z.string().nullable().meta({ description: 'The user asked about; null: everyone.' }),
    since: z.string(),
    until: z.string(),
    groupBy: z.array(z.enum(usageGroups)),
    data: z.array(usageRowSchema).meta({ description: 'One row per group; empty when nothing is grouped.' }),
    total: z.object(totalsShape),
  })
  .meta({
    examples: [{
      object: 'usage',
      user: null,
      since: '2026-11-01T00:00:00.000Z',
      until: '2026-11-23T00:00:00.000Z',
      groupBy: ['provider', 'day'],
      data: [{ provider: 'openai', day: '2026-11-22', requests: 120, errors: 2, inputTokens: 48000, outputTokens: 15000, cachedInputTokens: 12000, reasoningTokens: 3000, costUsd: 0.0432, latencyMs: 840 }],
      total: { requests: 120, errors: 2, inputTokens: 48000, outputTokens: 15000, cachedInputTokens: 12000, reasoningTokens: 3000, costUsd: 0.0432, latencyMs: 840 },
    }],
  });

/** GET /v1/usage: requests, tokens and cost; your own, or (admins) anyone's, grouped by user, provider, model, tier, platform, day, deployment or branch. */
export const usageRoutes: FastifyPluginAsyncZod<UsageRoutesOptions> = async (app, { usage, actorOf }) => {
  const schema = {
    summary: 'Usage and cost',
    description:
      'Requests, errors, tokens (input, output, cached, reasoning), cost in USD and latency: your own, or (admins) anyone\'s with `user` (`all`: everyone). ' +
      'Grouped by `groupBy` (comma-separated: user, provider, model, tier, platform, day, deployment, branch), over the last `days` (default 30) or `since`..`until`. ' +
      '`deployment` and `branch` compare the arms of a routing policy: requests, errors, tokens, cost and latency per arm.',
    querystring: usageQuerySchema,
    response: { 200: usageReportSchema },
  };
  app.get('/v1/usage', { schema }, async (request) => {
    const report = await usage.report(await actorOf(request), request.query);
    return { object: 'usage' as const, user: report.user, since: report.since, until: report.until, groupBy: report.groupBy, data: report.rows, total: report.total };
  });
};
