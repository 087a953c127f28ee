import Fastify, { type FastifyPluginAsync } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { GatewayError } from '../../core/errors/gateway-error.ts';
import { toHttpError } from './error-body.ts';
import { health, type HealthCheck } from './routes/health.ts';
import { metrics } from './routes/metrics.ts';

export interface ProbeServerOptions {
  log: Logger;
  checks: Record<string, HealthCheck>;
  /** Further routes: a chat platform's webhook. */
  routes?: FastifyPluginAsync[];
}

/**
 * The HTTP server of a process that runs no HTTP adapter (ROLES=telegram with a webhook): /health,
 * /metrics and the webhook, with the same error bodies as the API.
 */
export function buildProbeServer({ log, checks, routes = [] }: ProbeServerOptions) {
  const app = Fastify({ loggerInstance: log });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toHttpError(error, request.id, { bodyLimit: request.routeOptions.bodyLimit });
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = toHttpError(new GatewayError('not_found', `There is no route ${request.method} ${request.url.split('?')[0]}.`), request.id);
    return reply.code(status).send(body);
  });
  app.register(health, { checks });
  app.register(metrics);
  for (const route of routes) app.register(route);
  return app;
}
