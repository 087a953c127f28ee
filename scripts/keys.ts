// `npm run -s keys -- create|list|revoke`: API keys from the command line, for the first key and for scripts.
import { parseArgs } from 'node:util';
import { parseConfig } from '../core/config/config.ts';
import { Accounts } from '../core/identity/accounts.ts';
import type { Actor } from '../core/identity/actor.ts';
import { createApiKeySchema } from '../core/identity/api-keys.ts';
import { GatewayError } from '../core/errors/gateway-error.ts';
import { openStore } from '../core/store/open-store.ts';

const usage = `Usage:
  npm run -s keys -- create [--user <usr_… | platform:id>] [--name <name>] [--rpm <n>] [--tpm <n>]
                            [--budget-tokens <n>] [--budget-usd <dollars>] [--models <a,b,…>] [--days <n>]
  npm run -s keys -- list [--user <usr_…>]
  npm run -s keys -- revoke <key id>`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    strict: true,
    options: {
      user: { type: 'string' },
      name: { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      'budget-tokens': { type: 'string' },
      'budget-usd': { type: 'string' },
      models: { type: 'string' },
      days: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
} catch (error) {
  fail((error as Error).message);
}
const { values, positionals } = parsed;
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const [verb, ...rest] = positionals;
if (verb !== 'create' && verb !== 'list' && verb !== 'revoke') fail(verb ? `Unknown command "${verb}".` : 'Say what to do.');

const config = parseConfig(process.env);
if (!config.ok) fail(`Invalid configuration:\n${config.problems.map((p) => `  ${p}`).join('\n')}`);
const store = await openStore(config.config);
const accounts = new Accounts(store);
const now = new Date().toISOString();
// The command line is trusted as an admin: whoever runs it can read DATA_DIR anyway. Audited as `cli`.
const actor: Actor = { user: { id: 'cli', role: 'admin', limits: {}, createdAt: now, lastSeenAt: now }, requestId: `cli_${Date.now()}` };
const number = (flag: string, value: string | undefined) => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) fail(`--${flag} must be a whole number.`);
  return Number(value);
};

try {
  if (verb === 'create') {
    if (rest.length > 0) fail(`Unexpected argument "${rest[0]}".`);
    const input = createApiKeySchema.safeParse({
      user: values.user,
      name: values.name,
      requestsPerMinute: number('rpm', values.rpm),
      tokensPerMinute: number('tpm', values.tpm),
      budgetTokens: number('budget-tokens', values['budget-tokens']),
      budgetUsd: values['budget-usd'] === undefined ? undefined : Number(values['budget-usd']),
      models: values.models?.split(',').map((m) => m.trim()).filter(Boolean),
      expiresInDays: number('days', values.days),
    });
    if (!input.success) fail(input.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('\n'));
    const { secret, key } = await accounts.keys.create(actor, input.data);
    process.stdout.write(`${secret}\n`);
    process.stderr.write(`Key ${key.id} ("${key.name}") for user ${key.userId}. This is the only time it is shown. Send it as: Authorization: Bearer <key>\n`);
  } else if (verb === 'list') {
    const keys = await accounts.keys.list(actor, { userId: values.user });
    for (const key of keys) {
      const state = key.revokedAt ? `revoked ${key.revokedAt}` : key.expiresAt && key.expiresAt <= now ? 'expired' : 'active';
      const budget = (key.budgetTokens === null ? '' : ` budget ${key.spentTokens}/${key.budgetTokens} tokens`) +
        (key.budgetUsd === null ? '' : ` budget $${key.spentUsd.toFixed(2)}/$${key.budgetUsd.toFixed(2)}`);
      process.stdout.write(`${key.id}  ${key.prefix}…  ${key.name}  user ${key.userId}  ${state}${budget}\n`);
    }
    if (keys.length === 0) process.stderr.write('No API keys yet.\n');
  } else {
    if (rest.length !== 1) fail('Name the one key to revoke.');
    const key = await accounts.keys.revoke(actor, rest[0]!);
    process.stdout.write(`Revoked ${key.id} (${key.prefix}…).\n`);
  }
} catch (error) {
  if (!(error instanceof GatewayError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
} finally {
  await store.close();
}
