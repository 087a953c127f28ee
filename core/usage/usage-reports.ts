import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';
import { auditAction, findUserByRef, type Actor } from '../identity/actor.ts';
import type { Store, UsageFigures, UsageGroup, UsageRow } from '../store/store.ts';

export const usageGroups = ['user', 'provider', 'model', 'tier', 'platform', 'day', 'deployment', 'branch'] as const satisfies readonly UsageGroup[];

/** A usage question, as GET /v1/usage takes it (and /usage in chat builds it). */
export const usageQuerySchema = z
  .object({
    /** Whose usage: `me` (the default for everyone but admins), a user (`usr_…`, `platform:id`), or `all` (admins). */
    user: z.string().min(1).max(220).optional(),
    /** The last N days, up to now. Default: 30. Ignored when `since` is given. */
    days: z.coerce.number({ error: 'expected a whole number of days from 1 to 3660' }).int().min(1).max(3660).optional(),
    since: z.iso.datetime({ error: 'expected an ISO 8601 time such as 2026-11-01T00:00:00Z' }).optional(),
    until: z.iso.datetime({ error: 'expected an ISO 8601 time such as 2026-12-01T00:00:00Z' }).optional(),
    /**
     * Comma-separated: user, provider, model, tier, platform, day, deployment, branch. `deployment` and
     * `branch` (the routing policy's arm, and the branch that chose it) compare the arms of a split.
     */
    groupBy: z
      .string()
      .max(100)
      .transform((value, ctx) => {
        const names = value.split(',').map((name) => name.trim()).filter(Boolean);
        const unknown = names.filter((name) => !(usageGroups as readonly string[]).includes(name));
        if (unknown.length > 0) {
          ctx.addIssue({ code: 'custom', message: `"${unknown.join(', ')}" is not a grouping; expected a comma-separated list of ${usageGroups.join(', ')}` });
          return z.NEVER;
        }
        return [...new Set(names)] as UsageGroup[];
      })
      .optional(),
  })
  .strict();
export type UsageQueryInput = z.infer<typeof usageQuerySchema>;

export interface UsageReport {
  /** The user asked about; null: everyone. */
  user: string | null;
  since: string;
  until: string;
  groupBy: UsageGroup[];
  rows: UsageRow[];
  total: UsageFigures;
}

/** The groups' totals added up; the mean latency weighted by each group's requests. */
function totalOf(rows: readonly UsageRow[]): UsageFigures {
  const total: UsageFigures = { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0, costUsd: 0, latencyMs: 0 };
  for (const row of rows) {
    for (const field of ['requests', 'errors', 'inputTokens', 'outputTokens', 'cachedInputTokens', 'reasoningTokens', 'costUsd'] as const) total[field] += row[field];
    total.latencyMs += row.latencyMs * row.requests;
  }
  total.latencyMs = total.requests > 0 ? total.latencyMs / total.requests : 0;
  return total;
}

/**
 * Usage and cost from the request log: anyone their own; admins anyone's, or everyone's grouped as they
 * like. Chat's `/usage` and GET /v1/usage both ask here, so they agree.
 */
export class UsageReports {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async report(actor: Actor, { user = actor.user.role === 'admin' ? 'all' : 'me', days = 30, since, until, groupBy = [] }: UsageQueryInput): Promise<UsageReport> {
    const userId = await this.#whose(actor, user);
    const end = until ?? new Date().toISOString();
    const start = since ?? new Date(Date.parse(end) - days * 86_400_000).toISOString();
    if (start >= end) throw new GatewayError('invalid_request', `"since" (${start}) must come before "until" (${end}).`, { param: 'since' });
    // Without an `until`, nothing is cut off: a request logged in this very millisecond counts.
    const rows = await this.#store.usageReport({ since: start, until, userId: userId ?? undefined, groupBy });
    return { user: userId, since: start, until: end, groupBy, rows: groupBy.length === 0 ? [] : rows, total: totalOf(rows) };
  }

  /** The user id asked about (null: everyone); only admins may ask about others, and a refusal is audited. */
  async #whose(actor: Actor, ref: string): Promise<string | null> {
    if (ref === 'me' || ref === actor.user.id) return actor.user.id;
    if (actor.user.role !== 'admin') {
      await auditAction(this.#store, actor, 'usage.read', { errorCode: 'forbidden', user: ref }, 'refused');
      throw new GatewayError('forbidden', 'Only an administrator can see the usage of others; leave out the user to see your own.');
    }
    if (ref === 'all') return null;
    return (await findUserByRef(this.#store, ref)).id;
  }
}
