import { GatewayError } from '../errors/gateway-error.ts';
import type { UsageRow } from '../store/store.ts';
import type { RoutingStatus } from '../models/registry.ts';
import type { Command } from './command.ts';

const count = (n: number) => n.toLocaleString('en-US');
const dollars = (usd: number) => (usd > 0 && usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`);
const totals = (row: UsageRow) =>
  `${count(row.requests)} messages, ${count(row.inputTokens)} tokens in, ${count(row.outputTokens)} out, ${dollars(row.costUsd)}`;
const isDays = (text: string | undefined) => text !== undefined && /^\d{1,4}$/.test(text);

function usageError(name: 'usage' | 'audit'): GatewayError {
  return new GatewayError('invalid_request', `Usage: ${reportCommands[name]!.usage}`);
}

/** Commands that read the records: usage and cost, and the audit trail. */
export const reportCommands: Record<string, Command> = {
  usage: {
    usage: '/usage [days] (what you have used) · admins: /usage <user|all> [days]',
    async run({ usage }, { actor }, args) {
      if (!usage) throw new GatewayError('invalid_request', 'Usage reports are not available here.');
      // `/usage 7`, `/usage telegram:42 7`, `/usage all`: a lone number is days, anything else a user.
      const [first, second, ...rest] = args;
      if (rest.length > 0 || (second !== undefined && !isDays(second)) || (isDays(first) && second !== undefined)) throw usageError('usage');
      const who = first === undefined || isDays(first) ? 'me' : first;
      const daysText = isDays(first) ? first : second;
      if (daysText === undefined && who === 'me') {
        const [day, month] = await Promise.all([usage.report(actor, { user: 'me', days: 1 }), usage.report(actor, { user: 'me', days: 30 })]);
        return [`Last 24 hours: ${totals(day.total)}.`, `Last 30 days: ${totals(month.total)}.`].join('\n');
      }
      const days = Number(daysText ?? 30);
      if (days < 1 || days > 3660) throw usageError('usage');
      const groupBy = who === 'all' ? (['user'] as const) : (['model'] as const);
      const report = await usage.report(actor, { user: who, days, groupBy: [...groupBy] });
      const whose = who === 'me' ? 'You' : who === 'all' ? 'Everyone' : who;
      const rows = [...report.rows].sort((a, b) => b.costUsd - a.costUsd || b.requests - a.requests).slice(0, 10);
      return [
        `${whose}, last ${days} day${days === 1 ? '' : 's'}: ${totals(report.total)}.`,
        ...rows.map((row) => `• ${(who === 'all' ? row.user : row.model) ?? (who === 'all' ? 'unidentified' : 'no model')}: ${totals(row)}`),
        ...(report.rows.length > rows.length ? [`…and ${report.rows.length - rows.length} more (GET /v1/usage has them all).`] : []),
      ].join('\n');
    },
  },
  providers: {
    admin: true,
    usage: '/providers (admins: each model provider\'s health, the circuit of each of its models, keys set aside, and the routing policy)',
    async run({ models }, _invocation, args) {
      if (args.length > 0) throw new GatewayError('invalid_request', `Usage: ${reportCommands.providers!.usage}`);
      const providers = await models.providers();
      return [
        'Model providers:',
        ...providers.map((provider) => {
          const circuits = provider.circuits.map((circuit) => {
            const failing = circuit.consecutiveFailures > 0 ? `, ${circuit.consecutiveFailures} failure${circuit.consecutiveFailures === 1 ? '' : 's'} in a row` : '';
            const retry = circuit.retryInMs !== undefined ? `, retried in ${Math.ceil(circuit.retryInMs / 1000)} s` : '';
            return `${circuit.model} ${circuit.state}${failing}${retry}`;
          });
          // Keys by fingerprint, and only those set aside: a healthy key needs no line.
          const setAside = provider.keys.flatMap((key) =>
            key.state === 'cooling' ? [`${key.fingerprint} cooling for ${Math.ceil((key.retryInMs ?? 0) / 1000)} s`] : key.state === 'removed' ? [`${key.fingerprint} removed (${key.reason})`] : [],
          );
          const keys = setAside.length ? ` Keys: ${provider.keys.length - setAside.length} of ${provider.keys.length} in use; ${setAside.join('; ')}.` : '';
          return `• ${provider.id} (${provider.role}): ${provider.status}. Instant ${provider.models.instant}, thinking ${provider.models.thinking}.${circuits.length ? ` Circuits: ${circuits.join('; ')}.` : ''}${keys}`;
        }),
        ...routingLines(models.routing()),
      ].join('\n');
    },
  },
  audit: {
    admin: true,
    usage: '/audit [n] (admins: the last n audit records, 10 unless said) · /audit verify (check the hash chain)',
    async run({ audit }, { actor }, args) {
      if (!audit) throw new GatewayError('invalid_request', 'The audit trail is not available here.');
      if (args.length > 1) throw usageError('audit');
      if (args[0] === 'verify') {
        const report = await audit.verify(actor);
        if (report.break) return `The audit chain is broken at record ${report.break.seq} (${report.break.id}): ${report.break.problem}. ${count(report.records)} records before it are intact.`;
        return `The audit chain is intact: ${count(report.records)} records${report.headHash ? `, ending in hash ${report.headHash.slice(0, 16)}…` : ''}.`;
      }
      const limit = args[0] === undefined ? 10 : Number(args[0]);
      if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw new GatewayError('invalid_request', `Usage: ${reportCommands.audit!.usage}; n is from 1 to 50.`);
      const { records } = await audit.list(actor, { limit });
      if (records.length === 0) return 'The audit trail is empty.';
      return [
        `The last ${records.length} audit record${records.length === 1 ? '' : 's'}, newest first:`,
        ...records.map((record) => {
          const detail = JSON.stringify(record.detail);
          const shown = detail.length > 120 ? `${detail.slice(0, 119)}…` : detail;
          return `#${record.seq} ${record.at.slice(0, 19).replace('T', ' ')} ${record.action} ${record.outcome} by ${record.actorId ?? 'unknown'} ${shown}`;
        }),
      ].join('\n');
    },
  },
};

/** The routing policy in force, one line per tier it serves, and a refused change if there is one. */
function routingLines(routing: RoutingStatus | null): string[] {
  if (!routing) return [];
  const tiers = Object.entries(routing.tiers).map(([tier, policy]) => {
    const arms = policy.deployments.map((arm) => `${arm.id}${arm.weight === undefined ? '' : ` ${arm.weight}`}${arm.timeToFirstTokenMs === undefined ? '' : ` (${arm.timeToFirstTokenMs} ms)`}`);
    return `• ${tier}: ${policy.strategy} among ${arms.join(', ')}`;
  });
  return [`Routing policy ${routing.policy}:`, ...tiers, ...(routing.error ? [`⚠ ${routing.error} The policy above stays in force.`] : [])];
}
