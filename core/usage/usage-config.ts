import { z } from 'zod';
import { priceSchema } from './prices.ts';

/** PRICES: JSON, `{"provider/model": {"input": 2.5, "output": 10, "cachedInput": 1.25}}`, US dollars per million tokens. */
export const pricesSchema = z.string().transform((value, ctx) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected JSON such as {"openai/gpt-4o":{"input":2.5,"output":10,"cachedInput":1.25}} (US dollars per million tokens)' });
    return z.NEVER;
  }
  const result = z.record(z.string().regex(/^\S{1,200}$/), priceSchema).safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    ctx.addIssue({ code: 'custom', message: `${issue?.path.join('.') || 'the value'}: ${issue?.message}; expected {"provider/model":{"input":<$/M>,"output":<$/M>,"cachedInput":<$/M, optional>}}` });
    return z.NEVER;
  }
  return result.data;
});

export const budgetPeriods = ['day', 'month'] as const;
export type BudgetPeriod = (typeof budgetPeriods)[number];

/** When the current budget period began: UTC midnight today, or the first of this month. */
export function periodStart(period: BudgetPeriod, now = new Date()): Date {
  return period === 'day'
    ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()))
    : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}
