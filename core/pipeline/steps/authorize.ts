import { GatewayError } from '../../errors/gateway-error.ts';
import { blockedError } from '../../identity/actor.ts';
import { keyAllows } from '../../identity/api-keys.ts';
import { formatCode } from '../../identity/one-time-code.ts';
import type { Pairing } from '../../identity/pairing.ts';
import type { OnceWithin } from '../../limits/token-buckets.ts';
import { coreMetrics } from '../../metrics/core-metrics.ts';
import type { Store } from '../../store/store.ts';
import { periodStart, type BudgetPeriod } from '../../usage/usage-config.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Authenticated } from './authenticate.ts';
import { commandIn } from './handle-command.ts';

export interface AuthorizeServices {
  /** Gives pending users their code. Default: none (a pending user is only refused). */
  pairing?: Pairing;
  /** Remembers who was told their code lately. Default: tell every time. */
  notices?: OnceWithin;
  /** How often a pending user is reminded of their code. Default: 10 minutes. */
  reminderMs?: number;
  /**
   * Spending caps per user and period (USER_BUDGET_USD, USER_BUDGET_PERIOD); a user's own `budgetUsd`
   * replaces the default, 0 removes it. Default: none.
   */
  budgets?: { store: Store; userUsd: number | undefined; period: BudgetPeriod };
}

const dollars = (usd: number) => `$${usd.toFixed(2)}`;

function budgetExceeded(scope: 'user' | 'key', message: string) {
  coreMetrics.rateLimited.inc({ scope, kind: 'budget' });
  return new GatewayError('budget_exceeded', message);
}

const utc = (iso: string) => `${iso.slice(11, 16)} UTC`;

/**
 * Who may go on: blocked users never; pending users (ACCESS_MODE=pairing) get their pairing code once
 * per reminder interval and nothing else, except `/link CODE`, which joins them to an account they
 * already have; an API key only to its allowed models and within its budget.
 */
export function authorize({ pairing, notices, reminderMs = 10 * 60_000, budgets }: AuthorizeServices = {}): Step<JobContext & Authenticated> {
  return {
    name: 'authorize',
    async run(ctx, next) {
      const { user, apiKey, job } = ctx;
      if (user.role === 'blocked') {
        throw blockedError();
      }
      const command = commandIn(job);
      // `/link CODE` joins a pending identity to an account its person already has: no approval needed.
      if (user.role === 'pending' && !(command?.name === 'link' && command.args.length === 1)) {
        if (!pairing) throw new GatewayError('pairing_required', 'This assistant admits new people only with an administrator\'s approval.');
        const code = await pairing.codeFor(user);
        const shown = formatCode(code.code);
        const message = `This assistant admits new people with an administrator's approval. Your pairing code is ${shown} (valid until ${utc(code.expiresAt)}): give it to an administrator, who sends /pair approve ${shown}. Already using this assistant in another chat? Send /link there, then /link CODE here.`;
        if (notices && !(await notices.claim(`{${user.id}}:pairing-notice`, reminderMs))) throw new GatewayError('pairing_pending', message);
        throw new GatewayError('pairing_required', message);
      }
      if (apiKey && !keyAllows(apiKey, job.request.model)) {
        throw new GatewayError('model_not_allowed', `This API key may not call "${job.request.model ?? 'default'}"; it may call: ${apiKey.models?.join(', ')}.`, { param: 'model' });
      }
      if (apiKey?.budgetTokens != null && apiKey.spentTokens >= apiKey.budgetTokens) {
        throw budgetExceeded('key', `This API key has spent its budget of ${apiKey.budgetTokens} tokens. Ask an administrator for more.`);
      }
      if (apiKey?.budgetUsd != null && apiKey.spentUsd >= apiKey.budgetUsd) {
        throw budgetExceeded('key', `This API key has spent its budget of ${dollars(apiKey.budgetUsd)}. Ask an administrator for more.`);
      }
      const userBudget = user.limits.budgetUsd === undefined ? budgets?.userUsd : user.limits.budgetUsd || undefined;
      // A command costs nothing, so /usage still answers someone whose budget is spent.
      if (budgets && userBudget !== undefined && !command) {
        const since = periodStart(budgets.period);
        const { costUsd } = await budgets.store.usageSince(user.id, since.toISOString());
        if (costUsd >= userBudget) {
          const renews = budgets.period === 'day' ? 'tomorrow (UTC)' : 'on the first of next month (UTC)';
          throw budgetExceeded('user', `You have spent your budget of ${dollars(userBudget)} this ${budgets.period}; it renews ${renews}. Ask an administrator for more.`);
        }
      }
      await next();
    },
  };
}
