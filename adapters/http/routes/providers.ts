import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiPrincipal } from '../../../core/identity/tokens.ts';
import type { RoutingStatus } from '../../../core/models/registry.ts';
import type { ModelsPort } from '../models-port.ts';
import { providerListSchema } from '../openai-schemas.ts';

export interface ProvidersOptions {
  authenticate: (request: import('fastify').FastifyRequest) => Promise<ApiPrincipal>;
  models: ModelsPort;
}

/** GET /v1/providers: configured providers, their role, models, health and circuit states; never a key. */
export const providers: FastifyPluginAsyncZod<ProvidersOptions> = async (app, { authenticate, models }) => {
  const schema = {
    summary: 'List providers',
    description: 'Configured LLM providers: their role (primary, fallback), models per tier, health, keys by fingerprint (active, cooling after a 429, removed after a 401), and circuit-breaker state per model; and the routing policy in force (ROUTING_POLICY_FILE), with each deployment\'s recent time to first token. Never a key.',
    response: { 200: providerListSchema },
  };
  app.get('/v1/providers', { schema }, async (request) => {
    await authenticate(request);
    const statuses = await models.providers();
    return {
      object: 'list' as const,
      data: statuses.map((status) => ({
        id: status.id,
        role: status.role,
        base_url: status.baseURL,
        status: status.status,
        models: status.models,
        keys: status.keys.map((key) => ({
          fingerprint: key.fingerprint,
          state: key.state,
          ...(key.retryInMs !== undefined ? { retry_in_ms: Math.round(key.retryInMs) } : {}),
          ...(key.reason !== undefined ? { reason: key.reason, removed_at: key.removedAt } : {}),
        })),
        circuits: status.circuits.map((circuit) => ({
          model: circuit.model,
          state: circuit.state,
          consecutive_failures: circuit.consecutiveFailures,
          ...(circuit.retryInMs !== undefined ? { retry_in_ms: Math.round(circuit.retryInMs) } : {}),
        })),
      })),
      routing: routingOf(models.routing()),
    };
  });
};

function routingOf(status: RoutingStatus | null) {
  if (!status) return null;
  const tiers = Object.entries(status.tiers).map(([tier, policy]) => [
    tier,
    {
      strategy: policy.strategy,
      deployments: policy.deployments.map(({ id, model, weight, timeToFirstTokenMs }) => ({
        id,
        model,
        ...(weight === undefined ? {} : { weight }),
        ...(timeToFirstTokenMs === undefined ? {} : { time_to_first_token_ms: timeToFirstTokenMs }),
      })),
    },
  ]);
  return { policy: status.policy, loaded_at: status.loadedAt, error: status.error, tiers: Object.fromEntries(tiers) };
}
