import type { FastifyPluginAsync } from 'fastify';
import { register } from 'prom-client';

/** GET /metrics: every metric of this process in Prometheus's text format. For scrapers; no token needed. */
export const metrics: FastifyPluginAsync = async (app) => {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    return reply.type(register.contentType).send(await register.metrics());
  });
};
