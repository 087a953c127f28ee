import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../identity/actor.ts';
import { SqliteStore } from '../store/embedded/sqlite-store.ts';
import type { RequestLogEntry } from '../store/store.ts';
import { UsageReports, usageQuerySchema } from './usage-reports.ts';

let store: SqliteStore;
let admin: Actor;

beforeEach(async () => {
  store = new SqliteStore(':memory:');
  admin = { user: await store.resolveUser({ platform: 'http', externalId: 'ops' }, { role: 'admin' }), requestId: 'req_1' };
});
afterEach(() => store.close());

const request = (requestId: string, overrides: Partial<RequestLogEntry>): RequestLogEntry => ({
  requestId,
  jobId: `job-${requestId}`,
  userId: admin.user.id,
  apiKeyId: null,
  platform: 'http',
  externalId: 'ops',
  provider: 'openai',
  model: 'openai/gpt-4o-mini',
  tier: 'instant',
  status: 'ok',
  errorCode: null,
  latencyMs: 100,
  inputTokens: 10,
  outputTokens: 20,
  cachedInputTokens: 0,
  reasoningTokens: 0,
  costUsd: 0.25,
  at: '2026-04-01T10:00:00.000Z',
  ...overrides,
});

describe('usage grouped by routing-policy arm', () => {
  it('takes deployment and branch as groupings, and names them when refusing an unknown one', () => {
    expect(usageQuerySchema.parse({ groupBy: 'deployment, branch,deployment' }).groupBy).toEqual(['deployment', 'branch']);
    const refused = usageQuerySchema.safeParse({ groupBy: 'arm' });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toContain('day, deployment, branch');
  });

  it('reports each arm of a split side by side, with the unrouted requests under null, and the totals over all', async () => {
    await store.logRequest(request('r1', { deployment: 'a', branch: 'weighted' }));
    await store.logRequest(request('r2', { deployment: 'a', branch: 'failover', status: 'error', errorCode: 'upstream_error', inputTokens: 0, outputTokens: 0, costUsd: 0, latencyMs: 40 }));
    await store.logRequest(request('r3', { deployment: 'b', branch: 'weighted', inputTokens: 30, outputTokens: 40, costUsd: 0.5, latencyMs: 300 }));
    await store.logRequest(request('r4', {}));
    const window = { since: '2026-04-01T00:00:00.000Z', until: '2026-04-02T00:00:00.000Z' };

    const byArm = await new UsageReports(store).report(admin, { ...window, groupBy: ['deployment'] });
    expect(byArm.groupBy).toEqual(['deployment']);
    expect(byArm.rows).toEqual([
      expect.objectContaining({ deployment: null, requests: 1, errors: 0, inputTokens: 10, outputTokens: 20, costUsd: 0.25 }),
      expect.objectContaining({ deployment: 'a', requests: 2, errors: 1, inputTokens: 10, outputTokens: 20, costUsd: 0.25, latencyMs: 70 }),
      expect.objectContaining({ deployment: 'b', requests: 1, errors: 0, inputTokens: 30, outputTokens: 40, costUsd: 0.5, latencyMs: 300 }),
    ]);
    expect(byArm.total).toMatchObject({ requests: 4, errors: 1, inputTokens: 50, outputTokens: 80, costUsd: 1, latencyMs: 135 });

    const byBranch = await new UsageReports(store).report(admin, { ...window, groupBy: ['deployment', 'branch'] });
    expect(byBranch.rows.map((row) => [row.deployment, row.branch, row.requests, row.errors])).toEqual([
      [null, null, 1, 0], ['a', 'failover', 1, 1], ['a', 'weighted', 1, 0], ['b', 'weighted', 1, 0],
    ]);
  });
});
