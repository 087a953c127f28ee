// `npm run -s token -- --user alice [--role admin] [--days 30]`: prints a bearer token for the HTTP API.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseConfig } from '../core/config/config.ts';
import { loadJwtSecret } from '../core/identity/jwt-secret.ts';
import { mintApiToken } from '../core/identity/tokens.ts';

const usage = 'Usage: npm run -s token -- --user <name> [--role admin|user] [--days <1-3650>]';
const daysError = { error: '--days must be a whole number from 1 to 3650' };

const argsSchema = z.object({
  user: z
    .string({ error: '--user is required' })
    .regex(/^[\w.@-]{1,200}$/, { error: '--user must be 1-200 letters, digits or . @ _ -' }),
  role: z.enum(['admin', 'user'], { error: '--role must be admin or user' }).default('user'),
  days: z.coerce.number(daysError).int(daysError).min(1, daysError).max(3650, daysError).default(30),
});

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

function readArgs() {
  try {
    return parseArgs({
      options: { user: { type: 'string' }, role: { type: 'string' }, days: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }).values;
  } catch (error) {
    return fail((error as Error).message);
  }
}

const raw = readArgs();
if (raw.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const parsed = argsSchema.safeParse(raw);
if (!parsed.success) fail(parsed.error.issues.map((issue) => issue.message).join('\n'));
const args = parsed.data;

const config = parseConfig(process.env);
if (!config.ok) fail(`Invalid configuration:\n${config.problems.map((p) => `  ${p}`).join('\n')}`);
const key = loadJwtSecret(config.config.dataDir, config.config.jwtSecret);
const token = await mintApiToken(key, { subject: args.user, role: args.role }, { expiresInSeconds: args.days * 86_400 });
process.stdout.write(`${token}\n`);
if (process.stdout.isTTY) {
  process.stderr.write(`Token for ${args.user} (role ${args.role}), valid ${args.days} days. Send it as: Authorization: Bearer <token>\n`);
}
