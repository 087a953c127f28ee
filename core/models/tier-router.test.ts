import { describe, expect, it } from 'vitest';
import { decideTier, defaultTierHeuristic, type RouteInput } from './tier-router.ts';

const input = (patch: Partial<RouteInput>): RouteInput => ({
  requested: undefined,
  chatModel: undefined,
  thinkNext: false,
  text: 'hello there',
  toolRequired: false,
  tierOf: (name) => (name.includes('reasoner') ? 'thinking' : 'instant'),
  ...patch,
});

describe('decideTier', () => {
  it.each([
    ['a greeting', {}, 'instant', 'default'],
    ['/think before a greeting', { thinkNext: true }, 'thinking', 'think-command'],
    ['the thinking alias', { requested: 'thinking' }, 'thinking', 'tier-alias'],
    ['the instant alias over code', { requested: 'instant', text: '```js\nx()\n```' }, 'instant', 'tier-alias'],
    ['a named thinking model', { requested: 'openai/o-reasoner' }, 'thinking', 'named-model'],
    ['a named instant model over a reasoning cue', { requested: 'openai/gpt-mini', text: 'prove it step by step' }, 'instant', 'named-model'],
    ['the request model over /think', { requested: 'instant', thinkNext: true }, 'instant', 'tier-alias'],
    ['/think over the chat model', { chatModel: 'instant', thinkNext: true }, 'thinking', 'think-command'],
    ['the chat model', { chatModel: 'openai/o-reasoner' }, 'thinking', 'named-model'],
    ['"default" leaves it to the heuristic', { requested: 'default', text: 'Why does my loop never end? Explain why.' }, 'thinking', 'reasoning'],
    ['a fenced code block', { text: 'what is wrong here?\n```\nfor (;;) {}\n```' }, 'thinking', 'code'],
    ['a statement-like line', { text: 'def add(a, b):\n    return a - b' }, 'thinking', 'code'],
    ['an arrow function', { text: 'is const f = (x) => x * 2 pure?' }, 'thinking', 'code'],
    ['a reasoning cue', { text: 'Compare Postgres and MySQL for my app' }, 'thinking', 'reasoning'],
    ['a cue inside a longer word is not one', { text: 'tell me about the planets and improvements' }, 'instant', 'default'],
    ['a long message', { text: 'word '.repeat(500) }, 'thinking', 'long-input'],
    ['a required tool call', { toolRequired: true }, 'thinking', 'tools'],
    ["the chat's tier over a reasoning cue", { chatTier: 'instant', text: 'Compare Postgres and MySQL' }, 'instant', 'tier-alias'],
    ["the chat's model over its tier", { chatModel: 'openai/o-reasoner', chatTier: 'instant' }, 'thinking', 'named-model'],
    ["the chat's tier over the gateway's model", { chatTier: 'instant', globalModel: 'openai/o-reasoner' }, 'instant', 'tier-alias'],
    ["the gateway's model", { globalModel: 'openai/o-reasoner' }, 'thinking', 'named-model'],
    ["the gateway's tier", { globalTier: 'thinking' }, 'thinking', 'tier-alias'],
    ['/think over the gateway\'s tier', { globalTier: 'instant', thinkNext: true }, 'thinking', 'think-command'],
    ['the request over the gateway\'s model', { requested: 'instant', globalModel: 'openai/o-reasoner' }, 'instant', 'tier-alias'],
  ] as const)('%s → %s (%s)', (_name, patch, tier, reason) => {
    expect(decideTier(input(patch))).toMatchObject({ tier, reason });
  });

  it('takes a model named like one of Object\'s own members for a model, not a tier', () => {
    for (const name of ['__proto__', 'constructor', 'toString']) {
      expect(decideTier(input({ requested: name }))).toEqual({ tier: 'instant', reason: 'named-model', model: name });
    }
  });

  it('names the model to call only when a model was named', () => {
    expect(decideTier(input({ chatModel: 'openai/gpt-mini' }))).toEqual({ tier: 'instant', reason: 'named-model', model: 'openai/gpt-mini' });
    expect(decideTier(input({ requested: 'thinking' })).model).toBeUndefined();
  });

  it('with the heuristic off, only an explicit choice leaves the instant tier', () => {
    const off = { ...defaultTierHeuristic, mode: 'off' as const };
    expect(decideTier(input({ text: '```\ncode\n```' }), off)).toEqual({ tier: 'instant', reason: 'default' });
    expect(decideTier(input({ thinkNext: true }), off)).toEqual({ tier: 'thinking', reason: 'think-command' });
  });

  it('takes its cues and length from configuration', () => {
    const custom = { mode: 'auto' as const, longInputChars: 20, reasoningCues: ['ponder'] };
    expect(decideTier(input({ text: 'please ponder this' }), custom).reason).toBe('reasoning');
    expect(decideTier(input({ text: 'compare these two things' }), custom).reason).toBe('long-input');
    expect(decideTier(input({ text: 'compare them' }), custom).reason).toBe('default');
  });
});
