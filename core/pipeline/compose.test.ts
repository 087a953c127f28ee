import { describe, expect, it } from 'vitest';
import { compose, Pipeline, type Step } from './compose.ts';

const record = (name: string, events: string[]): Step<object> => ({
  name,
  async run(_ctx, next) {
    events.push(`${name}:before`);
    await next();
    events.push(`${name}:after`);
  },
});

describe('compose', () => {
  it('runs steps as an onion, in order', async () => {
    const events: string[] = [];
    await compose([record('a', events), record('b', events)])({});
    expect(events).toEqual(['a:before', 'b:before', 'b:after', 'a:after']);
  });

  it('stops where a step does not call next, and propagates errors to outer steps', async () => {
    const events: string[] = [];
    const stop: Step<object> = { name: 'stop', run: async () => void events.push('stop') };
    await compose([record('a', events), stop, record('never', events)])({});
    expect(events).toEqual(['a:before', 'stop', 'a:after']);

    const fail: Step<object> = { name: 'fail', run: async () => Promise.reject(new Error('boom')) };
    await expect(compose([record('a', []), fail])({})).rejects.toThrow('boom');
  });

  it('refuses a step that calls next twice', async () => {
    const twice: Step<object> = { name: 'twice', run: async (_ctx, next) => (await next(), next()) };
    await expect(compose([twice])({})).rejects.toThrow('step "twice" called next() more than once');
  });
});

describe('Pipeline', () => {
  const addA: Step<{ base: number }, { a: number }> = {
    name: 'addA',
    async run(ctx, next) {
      ctx.a = ctx.base + 1;
      await next();
    },
  };
  const needA: Step<{ a: number }, { b: number }> = {
    name: 'needA',
    async run(ctx, next) {
      ctx.b = ctx.a * 10;
      await next();
    },
  };

  it('threads fields from step to step and lists names in order', async () => {
    const pipeline = Pipeline.start<{ base: number }>().use(addA).use(needA);
    expect(pipeline.stepNames).toEqual(['addA', 'needA']);
    const ctx: { base: number; a?: number; b?: number } = { base: 1 };
    await pipeline.build<typeof ctx>()(ctx);
    expect(ctx).toEqual({ base: 1, a: 2, b: 20 });
  });

  it('does not type-check a step placed before the fields it needs', () => {
    // @ts-expect-error: needA requires `a`, which only addA adds.
    const misordered = Pipeline.start<{ base: number }>().use(needA);
    expect(misordered.stepNames).toEqual(['needA']);
  });
});

describe('compose with an observer', () => {
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const step = (name: string, before: number, after: number): Step<object> => ({
    name,
    async run(_ctx, next) {
      await wait(before);
      await next();
      await wait(after);
    },
  });

  it("tells each step's own time, the steps after it excluded, even when a later step throws", async () => {
    const times = new Map<string, number>();
    const failing: Step<object> = { name: 'failing', run: async () => (await wait(30), Promise.reject(new Error('boom'))) };
    const run = compose([step('outer', 20, 20), step('inner', 10, 0), failing], (name, ms) => times.set(name, ms));
    await expect(run({})).rejects.toThrow('boom');
    expect([...times.keys()]).toEqual(['failing', 'inner', 'outer']);
    expect(times.get('failing')).toBeGreaterThanOrEqual(25);
    expect(times.get('inner')).toBeLessThan(25);
    // The outer step's after-part never ran (next threw), so it spent about its 20 ms before.
    expect(times.get('outer')).toBeGreaterThanOrEqual(15);
    expect(times.get('outer')).toBeLessThan(30);
  });
});
