import type { FastifyPluginAsync } from 'fastify';
import { register } from 'prom-client';
import { z } from 'zod';

const exposition = z.string().meta({
  examples: [
    [
      '# HELP gateway_http_requests_total HTTP requests answered, by method, route pattern (unmatched for no route) and status code.',
      '# TYPE gateway_http_requests_total counter',
      'gateway_http_requests_total{method="POST",route="/v1/chat/completions",status="200"} 42',
      '',
    ].join('\n'),
  ],
});

/** GET /metrics: every metric of this process in Prometheus's text format. For scrapers; no token needed. */
export const metrics: FastifyPluginAsync = async (app) => {
  const schema = {
    summary: 'Prometheus metrics',
    description: "For scrapers; no credential. Every metric of this process in Prometheus's text format: HTTP, pipeline steps, providers, tokens, cost, rate limits, circuits, queues, streams.",
    // Keyed by media type, so it is documented as text; a string body is sent as it is, never serialized.
    response: { 200: { description: 'The metrics, in the Prometheus text exposition format (0.0.4).', content: { 'text/plain': { schema: exposition } } } },
  };
  app.get('/metrics', { schema }, async (_request, reply) => {
    return reply.type(register.contentType).send(await register.metrics());
  });
};
