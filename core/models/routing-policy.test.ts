import { describe, expect, it } from 'vitest';
import { arrange, LatencyBoard, routingPolicySchema, type Candidate, type RoutingRequest, type TierPolicy } from './routing-policy.ts';

const candidate = (id: string, extra: Partial<Candidate> = {}): Candidate => ({ id, provider: 'openai', model: id, weight: 0, contextWindow: undefined, price: undefined, ...extra });
const request = (extra: Partial<RoutingRequest> = {}): RoutingRequest => ({ tier: 'instant', caller: 'usr_1', inputTokens: 1000, maxOutputTokens: undefined, ...extra });
const policy = (strategy: TierPolicy['strategy'], extra: Partial<TierPolicy> = {}): TierPolicy => ({ strategy, deployments: [{ provider: 'openai', model: 'x' }], ...extra });
const problems = (input: unknown) => routingPolicySchema.safeParse(input).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);

describe('routingPolicySchema', () => {
  it('accepts a policy per tier, with provider aliases', () => {
    const parsed = routingPolicySchema.parse({
      tiers: { instant: { strategy: 'weighted', deployments: [{ id: 'control', provider: 'OpenAI', model: 'gpt-5-mini', weight: 70 }, { id: 'candidate', provider: 'gemini', model: 'gemini-2.5-flash', weight: 30 }] } },
    });
    expect(parsed.tiers.instant?.deployments.map((deployment) => deployment.provider)).toEqual(['openai', 'google']);
  });

  it('refuses what it cannot serve, saying where and why', () => {
    expect(problems({ tiers: { instant: { strategy: 'random', deployments: [{ provider: 'openai', model: 'a' }] } } })).toEqual(['tiers.instant.strategy: expected one of priority, cheapest, fastest, weighted']);
    expect(problems({ tiers: { thinking: { strategy: 'priority', deployments: [{ provider: 'acme', model: 'a' }] } } })?.[0]).toMatch(/^tiers\.thinking\.deployments\.0\.provider: "acme" is not a provider/);
    expect(problems({ tiers: { instant: { strategy: 'weighted', deployments: [{ provider: 'openai', model: 'a', weight: 1 }, { provider: 'groq', model: 'b' }] } } })).toEqual([
      'tiers.instant.deployments.1.weight: required by the weighted strategy',
    ]);
    expect(problems({ tiers: { instant: { strategy: 'priority', deployments: [{ provider: 'openai', model: 'a' }, { provider: 'openai', model: 'a' }] } } })?.[0]).toContain('"openai/a" is listed twice');
    expect(problems({ tiers: { instant: { strategy: 'priority', deployments: [] } } })).toEqual(['tiers.instant.deployments: expected at least one deployment']);
    expect(problems({ tiers: { instant: { strategy: 'priority', deployments: [{ provider: 'openai', model: 'a', apiKey: 'sk-x' }] } } })?.[0]).toMatch(/^tiers\.instant\.deployments\.0: Unrecognized key/);
  });
});

describe('arrange', () => {
  it('priority keeps the order listed', () => {
    const listed = [candidate('a'), candidate('b'), candidate('c')];
    expect(arrange(policy('priority'), listed, request(), new LatencyBoard()).order.map((c) => c.id)).toEqual(['a', 'b', 'c']);
  });

  it('cheapest ranks by this request’s expected cost, among deployments whose window fits it', () => {
    const listed = [
      candidate('pricey', { price: { input: 3, output: 15 } }),
      candidate('cheap-output', { price: { input: 2, output: 0.5 } }),
      candidate('cheap-input', { price: { input: 0.1, output: 4 } }),
      candidate('small-window', { price: { input: 0.01, output: 0.01 }, contextWindow: 8000 }),
      candidate('unpriced'),
    ];
    // A short answer: input dominates. A long one: output does.
    expect(arrange(policy('cheapest'), listed, request({ inputTokens: 20_000, maxOutputTokens: 100 }), new LatencyBoard()).order.map((c) => c.id)).toEqual([
      'cheap-input',
      'cheap-output',
      'pricey',
      'unpriced',
    ]);
    expect(arrange(policy('cheapest'), listed, request({ inputTokens: 100, maxOutputTokens: 20_000 }), new LatencyBoard()).order.map((c) => c.id)).toEqual([
      'cheap-output',
      'cheap-input',
      'pricey',
      'unpriced',
    ]);
    // A request that fits the small window gets it, as it is cheapest of all.
    expect(arrange(policy('cheapest'), listed, request({ inputTokens: 1000 }), new LatencyBoard()).order[0]?.id).toBe('small-window');
  });

  it('cheapest and fastest rank a deployment whose circuit is open after every other', () => {
    const listed = [candidate('cheap', { price: { input: 0.1, output: 0.1 }, available: false }), candidate('dear', { price: { input: 5, output: 5 } })];
    expect(arrange(policy('cheapest'), listed, request(), new LatencyBoard()).order.map((c) => c.id)).toEqual(['dear', 'cheap']);
    const board = new LatencyBoard();
    board.record('cheap', 50);
    board.record('dear', 900);
    expect(arrange(policy('fastest', { exploration: 0 }), listed, request(), board).order.map((c) => c.id)).toEqual(['dear', 'cheap']);
  });

  it('fastest tries an unmeasured deployment first, then the lowest moving average, and explores now and then', () => {
    const listed = [candidate('slow'), candidate('quick'), candidate('new')];
    const board = new LatencyBoard();
    board.record('slow', 900);
    board.record('quick', 200);
    expect(arrange(policy('fastest'), listed, request(), board)).toMatchObject({ order: [{ id: 'new' }, { id: 'quick' }, { id: 'slow' }], branch: 'explore' });
    board.record('new', 500);
    const settled = arrange(policy('fastest', { exploration: 0.1 }), listed, request(), board, () => 0.5);
    expect(settled).toMatchObject({ order: [{ id: 'quick' }, { id: 'new' }, { id: 'slow' }], branch: 'fastest' });
    const explored = arrange(policy('fastest', { exploration: 0.1 }), listed, request(), board, () => 0.05);
    expect(explored.branch).toBe('explore');
    expect(explored.order[0]?.id).not.toBe('quick');
    // A deployment that became slow loses its place as its average moves.
    for (let sample = 0; sample < 6; sample += 1) board.record('quick', 2000);
    expect(arrange(policy('fastest', { exploration: 0 }), listed, request(), board).order[0]?.id).toBe('new');
  });

  it('weighted splits 70/30 over 1,000 users within a few percent, each user always on the same arm', () => {
    const arms = [candidate('control', { weight: 70 }), candidate('treatment', { weight: 30 })];
    const board = new LatencyBoard();
    const armOf = (caller: string) => arrange(policy('weighted'), arms, request({ caller }), board).order[0]!.id;
    const users = Array.from({ length: 1000 }, (_, index) => `usr_${index}`);
    const first = users.map(armOf);
    const control = first.filter((arm) => arm === 'control').length;
    expect(control).toBeGreaterThan(670);
    expect(control).toBeLessThan(730);
    expect(users.map(armOf)).toEqual(first);
    // The other arm stays behind as failover.
    expect(arrange(policy('weighted'), arms, request({ caller: users[0] }), board).order).toHaveLength(2);
    // A zero weight is never chosen first.
    const off = [candidate('on', { weight: 1 }), candidate('off', { weight: 0 })];
    expect(users.slice(0, 200).every((caller) => arrange(policy('weighted'), off, request({ caller }), board).order[0]?.id === 'on')).toBe(true);
  });
});
