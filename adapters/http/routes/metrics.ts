import type { FastifyPluginAsync } from 'fastify';
import { exposition } from '../../../core/metrics/exposition.ts';
import { z } from 'zod';

const example = z.string().meta({
  examples: [
    [
      '# HELP gateway_http_requests_total HTTP requests answered, by method, route pattern (unmatched for no route) and status code.',
      '# TYPE gateway_http_requests_total counter',
      'gateway_http_requests_total{method="POST",route="/v1/chat/completions",status="200"} 42',
      '',
    ].join('\n'),
  ],
});

/**
 * GET /metrics: every metric of this process in Prometheus's text format, or in OpenMetrics, with the
 * request ids of recent observations as exemplars, when the scraper asks for it (Prometheus does). For
 * scrapers; no token needed.
 */
export const metrics: FastifyPluginAsync = async (app) => {
  const schema = {
    summary: 'Prometheus metrics',
    description:
      "For scrapers; no credential. Every metric of this process in Prometheus's text format: HTTP, pipeline steps, providers, tokens, cost, rate limits, circuits, queues, streams. " +
      'With `Accept: application/openmetrics-text` (as Prometheus sends), OpenMetrics instead, whose request-duration and overhead histograms carry the request id of a recent observation per bucket as an exemplar.',
    // Keyed by media type, so it is documented as text; a string body is sent as it is, never serialized.
    response: {
      200: {
        description: 'The metrics, in the Prometheus text exposition format (0.0.4), or in OpenMetrics 1.0.0 when asked for.',
        content: { 'text/plain': { schema: example }, 'application/openmetrics-text': { schema: example } },
      },
    },
  };
  app.get('/metrics', { schema }, async (request, reply) => {
    const { contentType, body } = await exposition({ openMetrics: /application\/openmetrics-text/i.test(request.headers.accept ?? '') });
    return reply.type(contentType).send(body);
  });
};
