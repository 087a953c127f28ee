import { z } from 'zod';

/** Every role one process can run; ROLES picks a subset so each scales on its own. */
export const roleNames = ['worker', 'http'] as const;
export type Role = (typeof roleNames)[number];

/** Variables whose values must never be echoed, not even in a configuration error. */
const secretNames = new Set(['JWT_SECRET']);

const port = z.coerce
  .number({ error: 'expected an integer from 1 to 65535' })
  .int({ error: 'expected an integer from 1 to 65535' })
  .min(1, { error: 'expected an integer from 1 to 65535' })
  .max(65535, { error: 'expected an integer from 1 to 65535' });

const redisUrl = z
  .string()
  .refine((value) => /^rediss?:\/\/[^\s]+$/.test(value) && URL.canParse(value), {
    error: 'expected a redis:// or rediss:// URL, for example redis://127.0.0.1:6379',
  });

const roles = z
  .string()
  .transform((value, ctx) => {
    const names = value.split(',').map((name) => name.trim()).filter(Boolean);
    if (names.length === 0 || names.includes('all')) return [...roleNames];
    const unknown = names.filter((name) => !(roleNames as readonly string[]).includes(name));
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `expected a comma-separated list of ${roleNames.join(', ')} or all` });
      return z.NEVER;
    }
    return [...new Set(names)] as Role[];
  });

/** The environment, validated once at start. Keys are the variable names users set; the output is camelCase. */
export const configSchema = z
  .object({
    PORT: port.default(8080),
    HOST: z.string().min(1, { error: 'expected a host name or IP address to listen on' }).default('127.0.0.1'),
    DATA_DIR: z.string().min(1, { error: 'expected a directory path' }).default('./data'),
    REDIS_URL: redisUrl.optional(),
    JWT_SECRET: z
      .string()
      .min(32, { error: 'expected at least 32 characters (HS256 needs a 256-bit key); unset it to have one generated' })
      .optional(),
    ROLES: roles.default([...roleNames]),
    WORKER_CONCURRENCY: z.coerce
      .number({ error: 'expected an integer from 1 to 1000' })
      .int({ error: 'expected an integer from 1 to 1000' })
      .min(1, { error: 'expected an integer from 1 to 1000' })
      .max(1000, { error: 'expected an integer from 1 to 1000' })
      .default(16),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'expected one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
  })
  .transform((env) => ({
    port: env.PORT,
    host: env.HOST,
    dataDir: env.DATA_DIR,
    redisUrl: env.REDIS_URL,
    jwtSecret: env.JWT_SECRET,
    roles: env.ROLES,
    workerConcurrency: env.WORKER_CONCURRENCY,
    logLevel: env.LOG_LEVEL,
  }));

export type Config = z.output<typeof configSchema>;

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/**
 * Parses the environment. Empty strings count as unset, as in most tools: `PORT= npm start` means the default.
 * Problems come back one line per variable, naming it and what is expected, never a stack trace.
 */
export function parseConfig(env: NodeJS.ProcessEnv): ConfigResult {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = configSchema.safeParse(present);
  if (result.success) return { ok: true, config: result.data };
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    const value = present[name];
    const got = value === undefined || secretNames.has(name) ? '' : ` (got ${JSON.stringify(value)})`;
    return `${name}: ${issue.message}${got}`;
  });
  return { ok: false, problems: [...new Set(problems)] };
}
