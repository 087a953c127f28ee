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
