import { z } from 'zod';
import type { Usage } from '../contracts/message.ts';

/** US dollars per million tokens. `cachedInput` defaults to `input` (no discount known). */
export const priceSchema = z
  .object({
    input: z.number().min(0).max(100_000),
    output: z.number().min(0).max(100_000),
    cachedInput: z.number().min(0).max(100_000).optional(),
  })
  .strict();
export type Price = z.infer<typeof priceSchema>;

/**
 * List prices of the catalog's default models (and a few common others) at the time of writing. They
 * change: set PRICES to correct or extend them. Keys are `provider/model`; a bare model name in PRICES
 * prices that model on any provider (a custom server, a proxy).
 */
export const builtInPrices: Record<string, Price> = {
  'openai/gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'openai/gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'openai/gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'openai/gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'openai/gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'openai/gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'openai/gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  'openai/text-embedding-3-small': { input: 0.02, output: 0 },
  'openai/text-embedding-3-large': { input: 0.13, output: 0 },
  'anthropic/claude-haiku-4-5': { input: 1, cachedInput: 0.1, output: 5 },
  'anthropic/claude-sonnet-4-5': { input: 3, cachedInput: 0.3, output: 15 },
  'anthropic/claude-opus-4-1': { input: 15, cachedInput: 1.5, output: 75 },
  'google/gemini-2.5-flash': { input: 0.3, cachedInput: 0.075, output: 2.5 },
  'google/gemini-2.5-pro': { input: 1.25, cachedInput: 0.31, output: 10 },
  'google/gemini-embedding-001': { input: 0.15, output: 0 },
  'mistral/mistral-small-latest': { input: 0.1, output: 0.3 },
  'mistral/magistral-medium-latest': { input: 2, output: 5 },
  'mistral/mistral-embed': { input: 0.1, output: 0 },
  'groq/llama-3.1-8b-instant': { input: 0.05, output: 0.08 },
  'groq/openai/gpt-oss-120b': { input: 0.15, output: 0.75 },
  'openrouter/openai/gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'openrouter/anthropic/claude-sonnet-4.5': { input: 3, cachedInput: 0.3, output: 15 },
  'moonshot/kimi-k2-turbo-preview': { input: 1.15, cachedInput: 0.15, output: 8 },
  'moonshot/kimi-k2-thinking': { input: 0.6, cachedInput: 0.15, output: 2.5 },
};

/** `provider/model` (or `offline`) split into its provider and the provider's own model name. */
export function splitDeployment(deployment: string): { provider: string; model: string } {
  const slash = deployment.indexOf('/');
  return slash < 0 ? { provider: deployment, model: deployment } : { provider: deployment.slice(0, slash), model: deployment.slice(slash + 1) };
}

/** Prices by deployment: the built-in table overlaid with PRICES. */
export class PriceTable {
  readonly #prices: Map<string, Price>;

  constructor(overrides: Record<string, Price> = {}) {
    this.#prices = new Map(Object.entries({ ...builtInPrices, ...overrides }));
  }

  /**
   * The price of `provider/model`: exact, then the bare model name, then the longest entry the name
   * extends with a dated or versioned suffix (`claude-haiku-4-5-20251001` is `claude-haiku-4-5`).
   * Undefined: unpriced (the offline model is free).
   */
  priceOf(deployment: string): Price | undefined {
    if (deployment === 'offline') return { input: 0, output: 0 };
    const { model } = splitDeployment(deployment);
    const exact = this.#prices.get(deployment) ?? this.#prices.get(model);
    if (exact) return exact;
    let best: [string, Price] | undefined;
    for (const entry of this.#prices) {
      const [key] = entry;
      if ((deployment.startsWith(`${key}-`) || model.startsWith(`${key}-`)) && key.length > (best?.[0].length ?? 0)) best = entry;
    }
    return best?.[1];
  }

  /** What `usage` cost on `deployment`, in US dollars; 0 when unpriced. */
  costOf(deployment: string, usage: Pick<Usage, 'inputTokens' | 'outputTokens' | 'cachedInputTokens'>): number {
    const price = this.priceOf(deployment);
    if (!price) return 0;
    const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
    const dollars = ((usage.inputTokens - cached) * price.input + cached * (price.cachedInput ?? price.input) + usage.outputTokens * price.output) / 1e6;
    // Rounded to a millionth of a cent: sums stay exact enough and records stay readable.
    return Math.round(dollars * 1e8) / 1e8;
  }
}
