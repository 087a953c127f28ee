import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditQuerySchema, type AuditLog } from '../../../core/audit/audit-log.ts';
import type { Actor } from '../../../core/identity/actor.ts';

export interface AuditRoutesOptions {
  audit: AuditLog;
  actorOf: (request: FastifyRequest) => Promise<Actor>;
}

const auditRecordSchema = z.object({
  seq: z.number().int(),
  id: z.string(),
  requestId: z.string(),
  at: z.string(),
  actorId: z.string().nullable(),
  action: z.string(),
  outcome: z.enum(['ok', 'refused', 'error', 'cancelled']),
  detail: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});

const auditListSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(auditRecordSchema),
    nextBefore: z.number().int().nullable().meta({ description: 'Pass as `before` for the next (older) page; null: no more.' }),
  })
  .meta({
    examples: [{
      object: 'list',
      data: [{
        seq: 42,
        id: 'req_5f2c:user.role',
        requestId: 'req_5f2c',
        at: '2026-11-23T09:15:02.114Z',
        actorId: 'usr_9a1b',
        action: 'user.role',
        outcome: 'ok',
        detail: { userId: 'usr_77c0', from: 'user', to: 'admin' },
        prevHash: '3f0a…',
        hash: '9be1…',
      }],
      nextBefore: null,
    }],
  });

const chainReportSchema = z.object({
  ok: z.boolean(),
  records: z.number().int(),
  headHash: z.string().nullable(),
  break: z.object({ seq: z.number().int(), id: z.string(), problem: z.string() }).optional(),
}).meta({
  examples: [
    { ok: true, records: 1842, headHash: '9be1c0d4f2a3…' },
    { ok: false, records: 976, headHash: '9be1c0d4f2a3…', break: { seq: 977, id: 'req_5f2c:user.role', problem: 'its content does not match its hash: the record was changed' } },
  ],
});

/** GET /v1/audit (admins): the audit trail, newest first; GET /v1/audit/verify: the hash chain checked. */
export const auditRoutes: FastifyPluginAsyncZod<AuditRoutesOptions> = async (app, { audit, actorOf }) => {
  const list = {
    summary: 'The audit trail',
    description: 'Admins. Who did what, newest first: `limit` records (default 50), older ones with `before` (the previous page\'s `nextBefore`), filtered by `action` or `actor`.',
    querystring: auditQuerySchema,
    response: { 200: auditListSchema },
  };
  app.get('/v1/audit', { schema: list }, async (request) => {
    const { records, nextBefore } = await audit.list(await actorOf(request), request.query);
    return { object: 'list' as const, data: records, nextBefore };
  });
  const verify = {
    summary: 'Verify the audit chain',
    description: 'Admins. Recomputes the hash chain; `break` names the first record edited, removed or reordered. Keep `headHash` elsewhere to detect truncation too.',
    response: { 200: chainReportSchema },
  };
  app.get('/v1/audit/verify', { schema: verify }, async (request) => {
    const report = await audit.verify(await actorOf(request));
    return { ok: !report.break, ...report };
  });
};
