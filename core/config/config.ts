import { z } from 'zod';
import { platformSchema, type Platform } from '../contracts/job.ts';
import { builtInToolNames, toolListSchema, toolRolesSchema, type ToolsConfig } from '../tools/built-in/tools-config.ts';
import { defaultTierHeuristic, type TierHeuristic } from '../models/tier-router.ts';
import { budgetPeriods, pricesSchema } from '../usage/usage-config.ts';
import { providerAliases, providerCatalog, providerIds, type ProviderId } from '../models/provider-catalog.ts';

/**
 * Every role one process can run; ROLES picks a subset so each scales on its own. A chat adapter's role
 * runs only where its token is set.
 */
export const roleNames = ['worker', 'http', 'telegram', 'discord', 'slack'] as const;
export type Role = (typeof roleNames)[number];

/** Variables whose values must never be echoed, not even in a configuration error. */
const secretNames = new Set(['JWT_SECRET', 'MONGODB_URL', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET', 'DISCORD_BOT_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', ...providerIds.map((id) => `${providerCatalog[id].envPrefix}_API_KEY`)]);

const integer = (min: number, max: number) => {
  const error = { error: `expected an integer from ${min} to ${max}` };
  return z.coerce.number(error).int(error).min(min, error).max(max, error);
};

const port = integer(1, 65535);
/** A per-minute limit; 0 means none, read as undefined. */
const perMinuteLimit = integer(0, 1_000_000_000).transform((limit) => limit || undefined);

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

/** `platform:externalId`, comma-separated: the identities that are admins whatever the store says. */
const identityList = z.string().transform((value, ctx) => {
  const identities: { platform: Platform; externalId: string }[] = [];
  for (const entry of value.split(',').map((part) => part.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const platform = platformSchema.safeParse(entry.slice(0, colon));
    const externalId = entry.slice(colon + 1);
    if (colon < 1 || !platform.success || !/^\S{1,200}$/.test(externalId)) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not platform:id; expected for example telegram:123,slack:T0123:U0456 (platforms: ${platformSchema.options.join(', ')})` });
      return z.NEVER;
    }
    identities.push({ platform: platform.data, externalId });
  }
  return identities;
});

const httpUrl = z.string().refine((value) => /^https?:\/\/\S+$/.test(value) && URL.canParse(value), {
  error: 'expected an http:// or https:// URL',
});
const modelName = z.string().regex(/^\S{1,200}$/, { error: 'expected a model name without spaces' });

const providerName = z.string().transform((value, ctx) => {
  const id = providerAliases[value.trim().toLowerCase()];
  if (!id) {
    ctx.addIssue({ code: 'custom', message: `expected one of ${[...providerIds, 'offline'].join(', ')} (also: gemini, google_ai)` });
    return z.NEVER;
  }
  return id;
});

const providerList = z.string().transform((value, ctx) => {
  const ids: ProviderId[] = [];
  for (const name of value.split(',').map((part) => part.trim()).filter(Boolean)) {
    const id = providerAliases[name.toLowerCase()];
    if (!id || id === 'offline') {
      ctx.addIssue({ code: 'custom', message: `"${name}" is not a provider; expected a comma-separated list of ${providerIds.join(', ')}` });
      return z.NEVER;
    }
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
});

/**
 * One key, or several separated by commas (`key1,key2`): requests spread across them, and one that is
 * rate limited or refused is set aside while the others carry on (core/models/key-ring.ts).
 */
const apiKeyList = z.string().transform((value, ctx) => {
  const keys = [...new Set(value.split(',').map((key) => key.trim()))];
  if (keys.some((key) => key === '')) {
    ctx.addIssue({ code: 'custom', message: 'expected one key, or several separated by commas, with none empty' });
    return z.NEVER;
  }
  return keys;
});

/** `<PREFIX>_API_KEY`, `_BASE_URL` and the model per tier, for every provider in the catalog. */
const providerShape = Object.fromEntries(
  providerIds.flatMap((id) => {
    const prefix = providerCatalog[id].envPrefix;
    return [
      [`${prefix}_API_KEY`, apiKeyList.optional()],
      [`${prefix}_BASE_URL`, httpUrl.optional()],
      [`${prefix}_INSTANT_MODEL`, modelName.optional()],
      [`${prefix}_THINKING_MODEL`, modelName.optional()],
      [`${prefix}_EMBEDDING_MODEL`, modelName.optional()],
      // The provider's own limits, which the gateway keeps to across every process.
      [`${prefix}_RPM`, perMinuteLimit.optional()],
      [`${prefix}_TPM`, perMinuteLimit.optional()],
    ];
  }),
) as Record<string, z.ZodOptional<z.ZodType<string | number | undefined>>>;

export interface ProviderConfig {
  id: ProviderId;
  /** Its keys, in the order given; empty for a local server that needs none. */
  apiKeys: string[];
  baseURL: string;
  models: { instant: string; thinking: string; embedding: string | undefined };
  /** The provider's own per-minute limits (`<PREFIX>_RPM`, `<PREFIX>_TPM`); undefined is none. */
  limits: { requestsPerMinute: number | undefined; tokensPerMinute: number | undefined };
}

/** The environment, validated once at start. Keys are the variable names users set; the output is camelCase. */
export const configSchema = z
  .object({
    PORT: port.default(8080),
    HOST: z.string().min(1, { error: 'expected a host name or IP address to listen on' }).default('127.0.0.1'),
    DATA_DIR: z.string().min(1, { error: 'expected a directory path' }).default('./data'),
    REDIS_URL: redisUrl.optional(),
    MONGODB_URL: z.string().regex(/^mongodb(\+srv)?:\/\/\S+$/, { error: 'expected a mongodb:// or mongodb+srv:// connection string' }).optional(),
    REQUEST_LOG_TTL_DAYS: integer(1, 36_500).default(90),
    JWT_SECRET: z
      .string()
      .min(32, { error: 'expected at least 32 characters (HS256 needs a 256-bit key); unset it to have one generated' })
      .optional(),
    JWT_JWKS_URL: httpUrl.optional(),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    ROLES: roles.default([...roleNames]),
    ADMIN_USERS: identityList.default([]),
    // New chat users: `pairing` (an admin approves each by code) or `open` (anyone may talk).
    ACCESS_MODE: z.enum(['open', 'pairing'], { error: 'expected open or pairing' }).default('pairing'),
    // Jobs spend their life waiting on providers, so one process can carry many at once.
    WORKER_CONCURRENCY: integer(1, 10_000).default(1000),
    // A crashed worker's jobs are taken over by another after about this long.
    JOB_LOCK_SECONDS: integer(1, 3600).default(30),
    // After SIGTERM: how long in-flight jobs and streams get to finish before they are left to another process.
    SHUTDOWN_TIMEOUT_SECONDS: integer(0, 3600).default(25),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'expected one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
    // Per-minute limits per role, shared by every process; 0 (the default) is no limit.
    RATE_LIMIT_USER_RPM: perMinuteLimit.optional(),
    RATE_LIMIT_USER_TPM: perMinuteLimit.optional(),
    RATE_LIMIT_ADMIN_RPM: perMinuteLimit.optional(),
    RATE_LIMIT_ADMIN_TPM: perMinuteLimit.optional(),
    // Browser pages of other origins allowed to call the API (CORS); none by default: only the gateway's own page.
    CORS_ORIGINS: z
      .string()
      .transform((value) => value.split(',').map((origin) => origin.trim().replace(/\/$/, '')).filter(Boolean))
      .pipe(z.array(z.string().regex(/^\*$|^https?:\/\/[\w.-]+(:\d+)?$/, { error: 'expected * or origins such as https://app.example.com, comma-separated' })))
      .default([]),
    // The longest an HTTP or WebSocket answer (a stream included) may take before the client is told it timed out.
    REPLY_TIMEOUT_SECONDS: integer(1, 3600).default(600),
    WS_PING_INTERVAL_MS: integer(100, 600_000).default(30_000),
    WS_RESUME_GRACE_MS: integer(0, 600_000).default(10_000),
    WS_MAX_IN_FLIGHT: integer(1, 10_000).default(64),
    TELEGRAM_BOT_TOKEN: z.string().regex(/^\d+:[\w-]+$/, { error: 'expected a bot token from @BotFather, like 123456:ABC-DEF…' }).optional(),
    TELEGRAM_API_ROOT: httpUrl.default('https://api.telegram.org'),
    TELEGRAM_WEBHOOK_URL: z
      .string()
      .refine((value) => /^https?:\/\/\S+$/.test(value) && URL.canParse(value) && new URL(value).pathname !== '/', {
        error: 'expected the public https:// URL Telegram posts updates to, with a path, for example https://bot.example.com/telegram',
      })
      .optional(),
    TELEGRAM_WEBHOOK_SECRET: z.string().regex(/^[\w-]{1,256}$/, { error: 'expected 1-256 letters, digits, _ or -' }).optional(),
    TELEGRAM_GROUP_MODE: z.enum(['mention', 'all', 'off'], { error: 'expected mention, all or off' }).default('mention'),
    TELEGRAM_POLL_TIMEOUT_SECONDS: integer(0, 50).default(25),
    DISCORD_BOT_TOKEN: z.string().regex(/^[\w-]{10,}\.[\w-]{4,}\.[\w-]{10,}$/, { error: 'expected a bot token from the Discord Developer Portal (Bot → Reset Token), three dot-separated parts' }).optional(),
    DISCORD_API_URL: httpUrl.default('https://discord.com/api'),
    DISCORD_CHANNELS: z
      .string()
      .regex(/^\s*(\d{1,20}\s*(,\s*\d{1,20}\s*)*)?$/, { error: 'expected comma-separated channel ids (Developer Mode → right-click a channel → Copy Channel ID)' })
      .transform((value) => value.split(',').map((id) => id.trim()).filter(Boolean))
      .default([]),
    // Set: Discord's Interactions Endpoint URL is served at /discord/interactions, its requests checked against this key.
    DISCORD_PUBLIC_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, { error: "expected the application's Public Key from the Developer Portal (General Information), 64 hexadecimal characters" }).optional(),
    SLACK_BOT_TOKEN: z.string().regex(/^xoxb-[\w-]+$/, { error: "expected the app's Bot User OAuth Token, xoxb-… (OAuth & Permissions)" }).optional(),
    SLACK_SIGNING_SECRET: z.string().regex(/^[0-9a-f]{32}$/, { error: 'expected the Signing Secret from Basic Information, 32 hexadecimal characters' }).optional(),
    SLACK_APP_TOKEN: z.string().regex(/^xapp-[\w-]+$/, { error: 'expected an app-level token with connections:write, xapp-… (Basic Information → App-Level Tokens)' }).optional(),
    SLACK_API_URL: httpUrl.transform((url) => (url.endsWith('/') ? url : `${url}/`)).default('https://slack.com/api/'),
    SLACK_EVENTS_PATH: z.string().regex(/^\/[\w/.-]*$/, { error: 'expected a path such as /slack/events' }).default('/slack/events'),
    // Chat adapters: pacing of live edits, how old a reply may be and still be posted, when a silent connection is restarted.
    CHAT_EDIT_INTERVAL_MS: integer(100, 60_000).default(1000),
    CHAT_REPLY_MAX_AGE_SECONDS: integer(10, 7 * 24 * 3600).default(900),
    ADAPTER_STALL_SECONDS: integer(1, 3600).optional(),
    // Memory: earlier turns a chat prompt carries at most, and whether turns that no longer fit are summarized.
    MEMORY_MAX_TOKENS: integer(0, 10_000_000).default(16_000),
    MEMORY_SUMMARY: z.enum(['on', 'off'], { error: 'expected on or off' }).default('off'),
    SYSTEM_PROMPT: z.string().max(100_000, { error: 'expected at most 100 000 characters' }).optional(),
    // Tools the model may call (run by the worker), who may call each, and how many rounds before it must answer.
    TOOLS: toolListSchema.optional(),
    TOOL_ROLES: toolRolesSchema.default({}),
    TOOLS_MAX_ROUNDS: integer(1, 50).default(5),
    FETCH_ALLOWED_HOSTS: z
      .string()
      .transform((value) => value.split(',').map((host) => host.trim().toLowerCase()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^(\*\.)?[a-z0-9.-]+(:\d+)?$|^\[[0-9a-f:.]+\]$/, { error: 'expected host names such as docs.example.com or *.example.com, comma-separated' })))
      .default([]),
    // Retrieval: passages per prompt (0: off), the similarity they need, and how documents are cut.
    RAG_TOP_K: integer(0, 50).default(4),
    RAG_MIN_SCORE: z.coerce.number({ error: 'expected a number from -1 to 1' }).min(-1, { error: 'expected a number from -1 to 1' }).max(1, { error: 'expected a number from -1 to 1' }).default(0.3),
    RAG_CHUNK_SIZE: integer(100, 100_000).default(1200),
    RAG_CHUNK_OVERLAP: integer(0, 50_000).default(200),
    // Tier routing: `auto` lets the heuristic send code, reasoning cues and long messages to the thinking tier.
    TIER_ROUTING: z.enum(['auto', 'off'], { error: 'expected auto or off' }).default('auto'),
    TIER_LONG_INPUT_CHARS: integer(1, 1_000_000).default(defaultTierHeuristic.longInputChars),
    TIER_REASONING_CUES: z
      .string()
      .transform((value) => value.split(',').map((cue) => cue.trim().toLowerCase()).filter(Boolean))
      .optional(),
    // Usage and cost: prices over the built-in table, and a spending cap per user per period.
    PRICES: pricesSchema.default({}),
    USER_BUDGET_USD: z.coerce.number({ error: 'expected US dollars, for example 20' }).positive({ error: 'expected more than 0 dollars' }).optional(),
    USER_BUDGET_PERIOD: z.enum(budgetPeriods, { error: 'expected day or month' }).default('month'),
    LLM_PROVIDER: providerName.optional(),
    LLM_FALLBACK_PROVIDERS: providerList.default([]),
    LLM_TEMPERATURE: z.coerce
      .number({ error: 'expected a number from 0 to 2' })
      .min(0, { error: 'expected a number from 0 to 2' })
      .max(2, { error: 'expected a number from 0 to 2' })
      .optional(),
    LLM_MAX_TOKENS: integer(1, 1_000_000).optional(),
    LLM_FIRST_BYTE_TIMEOUT_MS: integer(100, 600_000).default(30_000),
    LLM_TIMEOUT_MS: integer(1000, 3_600_000).default(600_000),
    LLM_MAX_RETRIES: integer(0, 10).default(2),
    // A JSON file of routing policies per tier (cheapest, fastest, weighted A/B...); re-read when it changes.
    ROUTING_POLICY_FILE: z.string().min(1).optional(),
    ...providerShape,
  })
  .superRefine((env, ctx) => {
    const configured = configuredProviders(env);
    const need = (id: ProviderId) =>
      id === 'custom' ? 'set CUSTOM_BASE_URL (and CUSTOM_INSTANT_MODEL)' : `set ${providerCatalog[id].envPrefix}_API_KEY`;
    if (env.LLM_PROVIDER && env.LLM_PROVIDER !== 'offline' && !configured.includes(env.LLM_PROVIDER)) {
      ctx.addIssue({ code: 'custom', path: ['LLM_PROVIDER'], message: `"${env.LLM_PROVIDER}" is not configured: ${need(env.LLM_PROVIDER)}` });
    }
    for (const id of env.LLM_FALLBACK_PROVIDERS) {
      if (!configured.includes(id)) {
        ctx.addIssue({ code: 'custom', path: ['LLM_FALLBACK_PROVIDERS'], message: `"${id}" is not configured: ${need(id)}` });
      }
    }
    if (env.JWT_JWKS_URL) {
      for (const name of ['JWT_ISSUER', 'JWT_AUDIENCE'] as const) {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: "required when JWT_JWKS_URL is set: your identity provider's tokens are checked against it" });
      }
    }
    if (env.RAG_CHUNK_OVERLAP * 2 >= env.RAG_CHUNK_SIZE) {
      ctx.addIssue({ code: 'custom', path: ['RAG_CHUNK_OVERLAP'], message: `expected less than half of RAG_CHUNK_SIZE (${env.RAG_CHUNK_SIZE})` });
    }
    if (env.TOOLS?.includes('fetch_url') && env.FETCH_ALLOWED_HOSTS.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['FETCH_ALLOWED_HOSTS'], message: 'required when TOOLS names fetch_url: the hosts it may read, for example docs.example.com,*.wikipedia.org' });
    }
    if (env.DISCORD_PUBLIC_KEY && !env.DISCORD_BOT_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['DISCORD_PUBLIC_KEY'], message: "needs DISCORD_BOT_TOKEN as well: the answers to interactions are posted with the bot's client" });
    }
    if (env.SLACK_BOT_TOKEN && !env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_SIGNING_SECRET'],
        message: 'required with SLACK_BOT_TOKEN to check the Events API requests (or set SLACK_APP_TOKEN to use Socket Mode)',
      });
    }
    const raw = env as Record<string, unknown>;
    if (raw.CUSTOM_BASE_URL && !raw.CUSTOM_INSTANT_MODEL) {
      ctx.addIssue({
        code: 'custom',
        path: ['CUSTOM_INSTANT_MODEL'],
        message: 'required when CUSTOM_BASE_URL is set: the model name your server serves',
      });
    }
  })
  .transform((env) => ({
    port: env.PORT,
    host: env.HOST,
    dataDir: env.DATA_DIR,
    redisUrl: env.REDIS_URL,
    mongodbUrl: env.MONGODB_URL,
    requestLogTtlDays: env.REQUEST_LOG_TTL_DAYS,
    jwtSecret: env.JWT_SECRET,
    roles: env.ROLES,
    adminUsers: env.ADMIN_USERS,
    accessMode: env.ACCESS_MODE,
    externalJwt: env.JWT_JWKS_URL ? { jwksUrl: env.JWT_JWKS_URL, issuer: env.JWT_ISSUER ?? '', audience: env.JWT_AUDIENCE ?? '' } : undefined,
    workerConcurrency: env.WORKER_CONCURRENCY,
    jobLockMs: env.JOB_LOCK_SECONDS * 1000,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    logLevel: env.LOG_LEVEL,
    websocket: { pingIntervalMs: env.WS_PING_INTERVAL_MS, resumeGraceMs: env.WS_RESUME_GRACE_MS, maxInFlight: env.WS_MAX_IN_FLIGHT },
    http: { corsOrigins: env.CORS_ORIGINS, replyTimeoutMs: env.REPLY_TIMEOUT_SECONDS * 1000 },
    rateLimits: {
      user: { requestsPerMinute: env.RATE_LIMIT_USER_RPM, tokensPerMinute: env.RATE_LIMIT_USER_TPM },
      admin: { requestsPerMinute: env.RATE_LIMIT_ADMIN_RPM, tokensPerMinute: env.RATE_LIMIT_ADMIN_TPM },
    } satisfies RoleLimits,
    telegram: env.TELEGRAM_BOT_TOKEN
      ? {
          token: env.TELEGRAM_BOT_TOKEN,
          apiRoot: env.TELEGRAM_API_ROOT,
          webhookUrl: env.TELEGRAM_WEBHOOK_URL,
          webhookSecret: env.TELEGRAM_WEBHOOK_SECRET,
          groupMode: env.TELEGRAM_GROUP_MODE,
          pollTimeoutSeconds: env.TELEGRAM_POLL_TIMEOUT_SECONDS,
        }
      : undefined,
    discord: env.DISCORD_BOT_TOKEN
      ? { token: env.DISCORD_BOT_TOKEN, apiUrl: env.DISCORD_API_URL, channels: env.DISCORD_CHANNELS, publicKey: env.DISCORD_PUBLIC_KEY?.toLowerCase() }
      : undefined,
    slack: env.SLACK_BOT_TOKEN
      ? { token: env.SLACK_BOT_TOKEN, signingSecret: env.SLACK_SIGNING_SECRET, appToken: env.SLACK_APP_TOKEN, apiUrl: env.SLACK_API_URL, eventsPath: env.SLACK_EVENTS_PATH }
      : undefined,
    chat: {
      editIntervalMs: env.CHAT_EDIT_INTERVAL_MS,
      maxReplyAgeMs: env.CHAT_REPLY_MAX_AGE_SECONDS * 1000,
      stallMs: env.ADAPTER_STALL_SECONDS === undefined ? undefined : env.ADAPTER_STALL_SECONDS * 1000,
    },
    memory: { maxTokens: env.MEMORY_MAX_TOKENS, summary: env.MEMORY_SUMMARY === 'on' },
    tools: {
      enabled: env.TOOLS ?? builtInToolNames,
      roles: env.TOOL_ROLES,
      maxRounds: env.TOOLS_MAX_ROUNDS,
      fetchAllowedHosts: env.FETCH_ALLOWED_HOSTS,
    } satisfies ToolsConfig,
    routingPolicyFile: env.ROUTING_POLICY_FILE,
    usage: { prices: env.PRICES, userBudgetUsd: env.USER_BUDGET_USD, budgetPeriod: env.USER_BUDGET_PERIOD },
    knowledge: { topK: env.RAG_TOP_K, minScore: env.RAG_MIN_SCORE, chunkSize: env.RAG_CHUNK_SIZE, chunkOverlap: env.RAG_CHUNK_OVERLAP },
    /** Every configured secret's value, masked wherever text from users or models is recorded. */
    secrets: [...secretNames].flatMap((name) => {
      // A provider's keys are a list (key1,key2): each is a secret of its own.
      const value = (env as Record<string, unknown>)[name];
      return (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string' && item !== '');
    }),
    systemPrompt: env.SYSTEM_PROMPT,
    tiers: {
      mode: env.TIER_ROUTING,
      longInputChars: env.TIER_LONG_INPUT_CHARS,
      reasoningCues: env.TIER_REASONING_CUES ?? defaultTierHeuristic.reasoningCues,
    } satisfies TierHeuristic,
    llm: llmConfig(env),
  }));

/** Requests and tokens per minute for each role; undefined is no limit. */
export type RoleLimits = Record<'user' | 'admin', { requestsPerMinute: number | undefined; tokensPerMinute: number | undefined }>;

type Env = Record<string, unknown> & { LLM_PROVIDER?: ProviderId | 'offline'; LLM_FALLBACK_PROVIDERS: ProviderId[] };

function configuredProviders(env: Record<string, unknown>): ProviderId[] {
  return providerIds.filter((id) => {
    const { envPrefix, requiresKey } = providerCatalog[id];
    return requiresKey ? Boolean(env[`${envPrefix}_API_KEY`]) : Boolean(env[`${envPrefix}_BASE_URL`]);
  });
}

function llmConfig(env: Env & { LLM_TEMPERATURE?: number; LLM_MAX_TOKENS?: number; LLM_FIRST_BYTE_TIMEOUT_MS: number; LLM_TIMEOUT_MS: number; LLM_MAX_RETRIES: number }) {
  const configured = configuredProviders(env);
  const providers = configured.map((id): ProviderConfig => {
    const spec = providerCatalog[id];
    const read = (suffix: string) => env[`${spec.envPrefix}_${suffix}`] as string | undefined;
    const limit = (suffix: string) => env[`${spec.envPrefix}_${suffix}`] as number | undefined;
    const instant = read('INSTANT_MODEL') ?? spec.models.instant ?? '';
    return {
      id,
      apiKeys: (env[`${spec.envPrefix}_API_KEY`] as string[] | undefined) ?? [],
      baseURL: (read('BASE_URL') ?? spec.defaultBaseURL ?? '').replace(/\/+$/, ''),
      models: { instant, thinking: read('THINKING_MODEL') ?? spec.models.thinking ?? instant, embedding: read('EMBEDDING_MODEL') ?? spec.models.embedding },
      limits: { requestsPerMinute: limit('RPM'), tokensPerMinute: limit('TPM') },
    };
  });
  // Unset LLM_PROVIDER: the first configured provider in catalog order, or the offline model.
  const primary = env.LLM_PROVIDER ?? configured[0] ?? 'offline';
  return {
    primary,
    fallbacks: env.LLM_FALLBACK_PROVIDERS.filter((id) => id !== primary),
    providers,
    temperature: env.LLM_TEMPERATURE,
    maxTokens: env.LLM_MAX_TOKENS,
    firstByteTimeoutMs: env.LLM_FIRST_BYTE_TIMEOUT_MS,
    timeoutMs: env.LLM_TIMEOUT_MS,
    maxRetries: env.LLM_MAX_RETRIES,
  };
}

export type Config = z.output<typeof configSchema>;
export type LlmConfig = Config['llm'];

/** The model settings of an environment that configures no provider: the offline model, default limits. */
export const offlineLlmConfig = (): LlmConfig => configSchema.parse({}).llm;

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
    const shown = typeof value === 'string' && value.length > 80 ? `${value.slice(0, 80)}…` : value;
    const got = value === undefined || secretNames.has(name) ? '' : ` (got ${JSON.stringify(shown)})`;
    return `${name}: ${issue.message}${got}`;
  });
  return { ok: false, problems: [...new Set(problems)] };
}
