import { describe, expect, it } from 'vitest';
import { PriceTable } from './prices.ts';

describe('PriceTable', () => {
  const table = new PriceTable({ 'my-local-model': { input: 1, output: 2 }, 'openai/gpt-4o-mini': { input: 0.2, output: 0.8 } });

  it('prices input, cached input and output per million tokens', () => {
    // gpt-5-mini: $0.25 in, $0.025 cached, $2 out per million.
    expect(table.costOf('openai/gpt-5-mini', { inputTokens: 1_000_000, outputTokens: 500_000, cachedInputTokens: 400_000 })).toBe(0.6 * 0.25 + 0.4 * 0.025 + 0.5 * 2);
    // No cached price known: cached tokens cost what input costs.
    expect(table.costOf('mistral/mistral-small-latest', { inputTokens: 2_000_000, outputTokens: 0, cachedInputTokens: 1_000_000 })).toBe(0.2);
  });

  it('lets PRICES override and extend the built-in table, a bare name pricing it on any provider', () => {
    expect(table.priceOf('openai/gpt-4o-mini')).toEqual({ input: 0.2, output: 0.8 });
    expect(table.priceOf('custom/my-local-model')).toEqual({ input: 1, output: 2 });
    expect(table.costOf('custom/my-local-model', { inputTokens: 1000, outputTokens: 1000 })).toBe(0.003);
  });

  it('prices a dated model by the entry it extends, the offline model at nothing, and an unknown model at 0', () => {
    expect(table.priceOf('anthropic/claude-haiku-4-5-20251001')).toEqual({ input: 1, cachedInput: 0.1, output: 5 });
    expect(table.priceOf('openai/gpt-4o-mini-2024-07-18')).toEqual({ input: 0.2, output: 0.8 });
    expect(table.costOf('offline', { inputTokens: 10_000, outputTokens: 10_000 })).toBe(0);
    expect(table.priceOf('openai/gpt-unknown')).toBeUndefined();
    expect(table.costOf('openai/gpt-unknown', { inputTokens: 10_000, outputTokens: 10_000 })).toBe(0);
  });
});
