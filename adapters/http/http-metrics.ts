import { counter, gauge, histogram, secondsBuckets } from '../../core/metrics/metric.ts';

/** What the HTTP adapter counts. `route` is the route's pattern (`/v1/documents/:id`), never the URL itself. */
export const httpMetrics = {
  requests: counter({
    name: 'gateway_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern (unmatched for no route) and status code.',
    labelNames: ['method', 'route', 'status'] as const,
  }),
  seconds: histogram({
    name: 'gateway_http_request_duration_seconds',
    help: 'HTTP requests from arrival to the last byte of the response (a stream: to its end), by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: secondsBuckets,
    enableExemplars: true,
  }),
  activeStreams: gauge({
    name: 'gateway_active_streams',
    help: 'Answers being streamed right now, by transport: sse (and ndjson), websocket.',
    labelNames: ['transport'] as const,
  }),
  sockets: gauge({
    name: 'gateway_websocket_connections',
    help: 'WebSocket connections open on /v1/ws.',
  }),
};
