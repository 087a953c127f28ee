import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

export type HealthCheck = () => Promise<{ ok: boolean; detail?: string }>;

export interface HealthOptions {
  /** Named checks: `redis`, `store`, `worker`; a process runs those that apply to its roles. */
  checks: Record<string, HealthCheck>;
  /** Default: 2000 ms; a check that takes longer counts as down. */
  timeoutMs?: number;
}

const healthSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(z.string(), z.object({ status: z.enum(['ok', 'down']), detail: z.string().optional() })),
});
// One example per status: the same schema, shown as each status looks.
const healthy = healthSchema.meta({ description: 'Every check passed.', examples: [{ status: 'ok', checks: { redis: { status: 'ok' }, store: { status: 'ok' }, worker: { status: 'ok' } } }] });
const unhealthy = healthSchema.meta({
  description: 'Something is down; `checks` says what.',
  examples: [{ status: 'unavailable', checks: { redis: { status: 'down', detail: 'no answer within 2000 ms' }, store: { status: 'ok' }, worker: { status: 'ok' } } }],
});

/** GET /health: 200 when every check passes, 503 naming what is down. For probes; no token needed. */
export const health: FastifyPluginAsyncZod<HealthOptions> = async (app, { checks, timeoutMs = 2000 }) => {
  const schema = {
    summary: 'Health of this process',
    description: 'For probes; no credential. 200 when every check of this process (`redis`, `store`, `worker`, chat adapters…) passes, 503 naming what is down.',
    response: { 200: healthy, 503: unhealthy },
  };
  app.get('/health', { schema }, async (_request, reply) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        const result = await Promise.race([
          check().catch(() => ({ ok: false, detail: 'unreachable' })),
          new Promise<{ ok: false; detail: string }>((resolve) =>
            setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs).unref(),
          ),
        ]);
        const status: 'ok' | 'down' = result.ok ? 'ok' : 'down';
        return [name, result.detail ? { status, detail: result.detail } : { status }] as const;
      }),
    );
    const healthy = results.every(([, result]) => result.status === 'ok');
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unavailable', checks: Object.fromEntries(results) });
  });
};
