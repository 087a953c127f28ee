import { defaultReasoningCues } from '../models/tier-router.ts';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const result = parseConfig({});
    expect(result).toEqual({
      ok: true,
      config: {
        port: 8080,
        host: '127.0.0.1',
        dataDir: './data',
        redisUrl: undefined,
        mongodbUrl: undefined,
        requestLogTtlDays: 90,
        jwtSecret: undefined,
        roles: ['worker', 'http', 'telegram', 'discord', 'slack'],
        workerConcurrency: 1000,
        jobLockMs: 30_000,
        shutdownTimeoutMs: 25_000,
        telegram: undefined,
        discord: undefined,
        slack: undefined,
        chat: { editIntervalMs: 1000, maxReplyAgeMs: 900_000, stallMs: undefined },
        logLevel: 'info',
        websocket: { pingIntervalMs: 30_000, resumeGraceMs: 10_000, maxInFlight: 64 },
        http: { corsOrigins: [], replyTimeoutMs: 600_000 },
        adminUsers: [],
        accessMode: 'pairing',
        externalJwt: undefined,
        rateLimits: {
          user: { requestsPerMinute: undefined, tokensPerMinute: undefined },
          admin: { requestsPerMinute: undefined, tokensPerMinute: undefined },
        },
        llm: {
          primary: 'offline',
          fallbacks: [],
          providers: [],
          temperature: undefined,
          maxTokens: undefined,
          firstByteTimeoutMs: 30_000,
          timeoutMs: 600_000,
          maxRetries: 2,
        },
        memory: { maxTokens: 16_000, summary: false },
        systemPrompt: undefined,
        tools: { enabled: ['current_time', 'calculator', 'search_knowledge', 'fetch_url'], roles: {}, maxRounds: 5, fetchAllowedHosts: [] },
        usage: { prices: {}, userBudgetUsd: undefined, budgetPeriod: 'month' },
        knowledge: { topK: 4, minScore: 0.3, chunkSize: 1200, chunkOverlap: 200 },
        tiers: { mode: 'auto', longInputChars: 2000, reasoningCues: defaultReasoningCues },
        secrets: [],
      },
    });
  });

  it('reads the memory, tools, retrieval and routing settings, and refuses bad ones with what is expected', () => {
    const result = parseConfig({
      MEMORY_MAX_TOKENS: '500',
      MEMORY_SUMMARY: 'on',
      TOOLS: 'calculator,fetch_url',
      TOOL_ROLES: '{"fetch_url":["admin"]}',
      FETCH_ALLOWED_HOSTS: 'docs.example.com, *.Wikipedia.org',
      TIER_ROUTING: 'off',
      TIER_REASONING_CUES: 'Ponder, mull over',
      OPENAI_API_KEY: 'sk-config-test-key',
    });
    expect(result.ok && result.config).toMatchObject({
      memory: { maxTokens: 500, summary: true },
      tools: { enabled: ['calculator', 'fetch_url'], roles: { fetch_url: ['admin'] }, fetchAllowedHosts: ['docs.example.com', '*.wikipedia.org'] },
      tiers: { mode: 'off', reasoningCues: ['ponder', 'mull over'] },
      secrets: ['sk-config-test-key'],
    });
    expect(parseConfig({ TOOLS: 'none' })).toMatchObject({ ok: true, config: { tools: { enabled: [] } } });
    const bad = parseConfig({ TOOLS: 'calculator,shell', TOOL_ROLES: '{"calculator":["root"]}', RAG_CHUNK_SIZE: '400', RAG_CHUNK_OVERLAP: '300' });
    expect(bad.ok ? [] : bad.problems).toEqual([
      'TOOLS: unknown tool shell; expected a comma-separated list of current_time, calculator, search_knowledge, fetch_url, or none (got "calculator,shell")',
      'TOOL_ROLES: expected JSON naming tools and the roles that may call them, for example {"fetch_url":["admin"]} (tools: current_time, calculator, search_knowledge, fetch_url; roles: admin, user) (got "{\\"calculator\\":[\\"root\\"]}")',
    ]);
    const needsHosts = parseConfig({ TOOLS: 'fetch_url', RAG_CHUNK_SIZE: '400', RAG_CHUNK_OVERLAP: '300' });
    expect(needsHosts.ok ? [] : needsHosts.problems).toEqual([
      'RAG_CHUNK_OVERLAP: expected less than half of RAG_CHUNK_SIZE (400) (got "300")',
      'FETCH_ALLOWED_HOSTS: required when TOOLS names fetch_url: the hosts it may read, for example docs.example.com,*.wikipedia.org',
    ]);
  });

  it('reads the price table, budgets and the MongoDB store, and refuses bad ones with what is expected', () => {
    const result = parseConfig({
      PRICES: '{"openai/gpt-4o":{"input":2,"output":8,"cachedInput":1}}',
      USER_BUDGET_USD: '12.5',
      USER_BUDGET_PERIOD: 'day',
      MONGODB_URL: 'mongodb://db.internal:27017/gateway',
      REQUEST_LOG_TTL_DAYS: '30',
    });
    expect(result.ok && result.config).toMatchObject({
      usage: { prices: { 'openai/gpt-4o': { input: 2, output: 8, cachedInput: 1 } }, userBudgetUsd: 12.5, budgetPeriod: 'day' },
      mongodbUrl: 'mongodb://db.internal:27017/gateway',
      requestLogTtlDays: 30,
    });
    const bad = parseConfig({ PRICES: '{"openai/gpt-4o":{"input":"cheap"}}', USER_BUDGET_USD: '-3', USER_BUDGET_PERIOD: 'week', MONGODB_URL: 'postgres://x' });
    expect(bad.ok ? [] : bad.problems).toEqual([
      'MONGODB_URL: expected a mongodb:// or mongodb+srv:// connection string',
      expect.stringMatching(/^PRICES: openai\/gpt-4o\.input: .*expected \{"provider\/model":\{"input":<\$\/M>/),
      'USER_BUDGET_USD: expected more than 0 dollars (got "-3")',
      'USER_BUDGET_PERIOD: expected day or month (got "week")',
    ]);
    expect(parseConfig({ PRICES: 'not json' })).toMatchObject({ ok: false, problems: [expect.stringMatching(/^PRICES: expected JSON such as/)] });
  });

  it('treats empty values as unset', () => {
    const result = parseConfig({ PORT: '', REDIS_URL: '' });
    expect(result.ok && result.config.port).toBe(8080);
    expect(result.ok && result.config.redisUrl).toBeUndefined();
  });

  it('reads set values', () => {
    const result = parseConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      DATA_DIR: '/var/lib/gw',
      REDIS_URL: 'redis://cache:6380/2',
      JWT_SECRET: 'x'.repeat(32),
      ROLES: 'worker',
    });
    expect(result).toMatchObject({
      ok: true,
      config: { port: 9000, host: '0.0.0.0', dataDir: '/var/lib/gw', redisUrl: 'redis://cache:6380/2', roles: ['worker'] },
    });
  });

  it('reads the HTTP edge: CORS origins and the reply timeout, and refuses an origin with a path', () => {
    const result = parseConfig({ CORS_ORIGINS: 'https://app.example.com/, http://localhost:5173', REPLY_TIMEOUT_SECONDS: '90' });
    expect(result).toMatchObject({ ok: true, config: { http: { corsOrigins: ['https://app.example.com', 'http://localhost:5173'], replyTimeoutMs: 90_000 } } });
    expect(parseConfig({ CORS_ORIGINS: '*' })).toMatchObject({ ok: true, config: { http: { corsOrigins: ['*'] } } });
    const bad = parseConfig({ CORS_ORIGINS: 'https://app.example.com/chat', REPLY_TIMEOUT_SECONDS: '0' });
    expect(bad.ok || bad.problems).toEqual([
      expect.stringMatching(/^CORS_ORIGINS: expected \* or origins such as https:\/\/app\.example\.com, comma-separated/),
      expect.stringMatching(/^REPLY_TIMEOUT_SECONDS: /),
    ]);
  });

  it('reads ADMIN_USERS as platform:id pairs, and says what a bad one should look like', () => {
    const parsed = parseConfig({ ADMIN_USERS: 'telegram:123, slack:T0123:U456' });
    expect(parsed.ok && parsed.config.adminUsers).toEqual([
      { platform: 'telegram', externalId: '123' },
      { platform: 'slack', externalId: 'T0123:U456' },
    ]);
    const bad = parseConfig({ ADMIN_USERS: 'telegram:123,irc:bob' });
    expect(bad.ok ? [] : bad.problems).toEqual([
      expect.stringMatching(/^ADMIN_USERS: "irc:bob" is not platform:id; expected for example telegram:123,slack:T0123:U0456/),
    ]);
    expect(parseConfig({ ADMIN_USERS: '123' }).ok).toBe(false);
  });

  it('takes an identity provider only with its issuer and audience', () => {
    const parsed = parseConfig({ JWT_JWKS_URL: 'https://idp.example/.well-known/jwks.json', JWT_ISSUER: 'https://idp.example/', JWT_AUDIENCE: 'gw' });
    expect(parsed.ok && parsed.config.externalJwt).toEqual({ jwksUrl: 'https://idp.example/.well-known/jwks.json', issuer: 'https://idp.example/', audience: 'gw' });
    const incomplete = parseConfig({ JWT_JWKS_URL: 'https://idp.example/.well-known/jwks.json' });
    expect(incomplete.ok ? [] : incomplete.problems).toEqual([
      expect.stringMatching(/^JWT_ISSUER: required when JWT_JWKS_URL is set/),
      expect.stringMatching(/^JWT_AUDIENCE: required when JWT_JWKS_URL is set/),
    ]);
  });

  it('accepts ROLES=all and deduplicates', () => {
    expect(parseConfig({ ROLES: 'all' })).toMatchObject({ config: { roles: ['worker', 'http', 'telegram', 'discord', 'slack'] } });
    expect(parseConfig({ ROLES: 'http, http' })).toMatchObject({ config: { roles: ['http'] } });
  });

  it('reports one line per problem, naming the variable and what is expected', () => {
    const result = parseConfig({ PORT: 'abc', REDIS_URL: 'localhost:6379', ROLES: 'worker,mailer', LOG_LEVEL: 'loud' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      'PORT: expected an integer from 1 to 65535 (got "abc")',
      'REDIS_URL: expected a redis:// or rediss:// URL, for example redis://127.0.0.1:6379 (got "localhost:6379")',
      'ROLES: expected a comma-separated list of worker, http, telegram, discord, slack or all (got "worker,mailer")',
      'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ]);
  });

  it('quotes at most 80 characters of a bad value', () => {
    const result = parseConfig({ PORT: '9'.repeat(200_000) });
    expect(result.ok || result.problems).toEqual([`PORT: expected an integer from 1 to 65535 (got "${'9'.repeat(80)}…")`]);
  });

  it('rejects out-of-range ports', () => {
    for (const PORT of ['0', '65536', '80.5', '-1']) {
      const result = parseConfig({ PORT });
      expect(result.ok ? [] : result.problems).toEqual([`PORT: expected an integer from 1 to 65535 (got "${PORT}")`]);
    }
  });

  it('reads the Telegram settings, and refuses a malformed token without echoing it', () => {
    const result = parseConfig({ TELEGRAM_BOT_TOKEN: '123:abc-DEF_1', TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/telegram', TELEGRAM_GROUP_MODE: 'all' });
    expect(result).toMatchObject({
      ok: true,
      config: { telegram: { token: '123:abc-DEF_1', apiRoot: 'https://api.telegram.org', webhookUrl: 'https://bot.example.com/telegram', groupMode: 'all', pollTimeoutSeconds: 25 } },
    });
    const bad = parseConfig({ TELEGRAM_BOT_TOKEN: 'not a token', TELEGRAM_WEBHOOK_URL: 'https://bot.example.com' });
    expect(bad.ok ? [] : bad.problems).toEqual([
      'TELEGRAM_BOT_TOKEN: expected a bot token from @BotFather, like 123456:ABC-DEF…',
      'TELEGRAM_WEBHOOK_URL: expected the public https:// URL Telegram posts updates to, with a path, for example https://bot.example.com/telegram (got "https://bot.example.com")',
    ]);
  });

  it('reads the Discord settings, and refuses a malformed token or channel list without echoing the token', () => {
    const token = 'MTIzNDU2Nzg5MDEy.GaBcDe.abcdefghijklmnopqrstuvwxyz012345';
    expect(parseConfig({ DISCORD_BOT_TOKEN: token, DISCORD_CHANNELS: ' 123456789012345678, 223456789012345678 ' })).toMatchObject({
      ok: true,
      config: { discord: { token, apiUrl: 'https://discord.com/api', channels: ['123456789012345678', '223456789012345678'] } },
    });
    const bad = parseConfig({ DISCORD_BOT_TOKEN: 'Bot secret-token-value', DISCORD_CHANNELS: 'general' });
    expect(bad.ok ? [] : bad.problems).toEqual([
      'DISCORD_BOT_TOKEN: expected a bot token from the Discord Developer Portal (Bot → Reset Token), three dot-separated parts',
      'DISCORD_CHANNELS: expected comma-separated channel ids (Developer Mode → right-click a channel → Copy Channel ID) (got "general")',
    ]);
  });

  it("reads DISCORD_PUBLIC_KEY for the Interactions Endpoint URL, and refuses anything but 64 hex characters or a key without the bot's token", () => {
    const token = 'MTIzNDU2Nzg5MDEy.GaBcDe.abcdefghijklmnopqrstuvwxyz012345';
    const publicKey = 'A1B2C3D4E5F6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2';
    expect(parseConfig({ DISCORD_BOT_TOKEN: token })).toMatchObject({ ok: true, config: { discord: { token, publicKey: undefined } } });
    expect(parseConfig({ DISCORD_BOT_TOKEN: token, DISCORD_PUBLIC_KEY: publicKey })).toMatchObject({ ok: true, config: { discord: { token, publicKey: publicKey.toLowerCase() } } });
    const short = parseConfig({ DISCORD_BOT_TOKEN: token, DISCORD_PUBLIC_KEY: publicKey.slice(2) });
    const notHex = parseConfig({ DISCORD_BOT_TOKEN: token, DISCORD_PUBLIC_KEY: `${publicKey.slice(1)}g` });
    for (const result of [short, notHex]) {
      expect(result.ok ? [] : result.problems).toEqual([expect.stringMatching(/^DISCORD_PUBLIC_KEY: expected the application's Public Key from the Developer Portal \(General Information\), 64 hexadecimal characters \(got "/)]);
    }
    const alone = parseConfig({ DISCORD_PUBLIC_KEY: publicKey });
    expect(alone.ok ? [] : alone.problems).toEqual([`DISCORD_PUBLIC_KEY: needs DISCORD_BOT_TOKEN as well: the answers to interactions are posted with the bot's client (got "${publicKey}")`]);
  });

  it('reads the Slack settings: Events API with a signing secret, or Socket Mode with an app token', () => {
    const token = 'xoxb-1234-5678-abcdefABCDEF';
    expect(parseConfig({ SLACK_BOT_TOKEN: token, SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99yyyzzz85a5'.replace(/[yz]/g, 'e') })).toMatchObject({
      ok: true,
      config: { slack: { token, apiUrl: 'https://slack.com/api/', eventsPath: '/slack/events', appToken: undefined } },
    });
    expect(parseConfig({ SLACK_BOT_TOKEN: token, SLACK_APP_TOKEN: 'xapp-1-A111-222-abc', SLACK_API_URL: 'http://127.0.0.1:9000/api' })).toMatchObject({
      ok: true,
      config: { slack: { appToken: 'xapp-1-A111-222-abc', apiUrl: 'http://127.0.0.1:9000/api/' } },
    });
    const bad = parseConfig({ SLACK_BOT_TOKEN: token });
    expect(bad.ok ? [] : bad.problems).toEqual([
      'SLACK_SIGNING_SECRET: required with SLACK_BOT_TOKEN to check the Events API requests (or set SLACK_APP_TOKEN to use Socket Mode)',
    ]);
    const wrong = parseConfig({ SLACK_BOT_TOKEN: 'xoxp-user-token', SLACK_SIGNING_SECRET: 'secret' });
    expect(wrong.ok ? [] : wrong.problems).toEqual([
      "SLACK_BOT_TOKEN: expected the app's Bot User OAuth Token, xoxb-… (OAuth & Permissions)",
      'SLACK_SIGNING_SECRET: expected the Signing Secret from Basic Information, 32 hexadecimal characters',
    ]);
  });

  it('never echoes a secret value', () => {
    const result = parseConfig({ JWT_SECRET: 'short-secret-value' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      'JWT_SECRET: expected at least 32 characters (HS256 needs a 256-bit key); unset it to have one generated',
    ]);
    expect(result.problems.join('\n')).not.toContain('short-secret-value');
  });

  describe('providers', () => {
    const llm = (env: NodeJS.ProcessEnv) => {
      const result = parseConfig(env);
      if (!result.ok) throw new Error(result.problems.join('\n'));
      return result.config.llm;
    };
    const problems = (env: NodeJS.ProcessEnv) => {
      const result = parseConfig(env);
      return result.ok ? [] : result.problems;
    };

    it('uses the first configured provider, with its default endpoint and tier models', () => {
      expect(llm({ ANTHROPIC_API_KEY: 'sk-ant-1', MISTRAL_API_KEY: 'm-1' })).toMatchObject({
        primary: 'anthropic',
        providers: [
          { id: 'anthropic', apiKeys: ['sk-ant-1'], baseURL: 'https://api.anthropic.com', models: { instant: 'claude-haiku-4-5', thinking: 'claude-sonnet-4-5' } },
          { id: 'mistral', baseURL: 'https://api.mistral.ai/v1', models: { embedding: 'mistral-embed' } },
        ],
      });
    });

    it('reads LLM_* settings, aliases, fallbacks, base URLs and tier models', () => {
      expect(
        llm({
          LLM_PROVIDER: 'Gemini',
          LLM_FALLBACK_PROVIDERS: 'openai, google, custom',
          LLM_TEMPERATURE: '0.3',
          LLM_MAX_TOKENS: '1024',
          GOOGLE_AI_API_KEY: 'AIza-1',
          GOOGLE_AI_THINKING_MODEL: 'gemini-3-pro',
          OPENAI_API_KEY: 'sk-1',
          OPENAI_BASE_URL: 'http://127.0.0.1:9999/v1/',
          CUSTOM_BASE_URL: 'http://localhost:11434/v1',
          CUSTOM_INSTANT_MODEL: 'llama3.2',
        }),
      ).toMatchObject({
        primary: 'google',
        fallbacks: ['openai', 'custom'],
        temperature: 0.3,
        maxTokens: 1024,
        providers: [
          { id: 'openai', baseURL: 'http://127.0.0.1:9999/v1' },
          { id: 'google', models: { instant: 'gemini-2.5-flash', thinking: 'gemini-3-pro' } },
          { id: 'custom', apiKeys: [], models: { instant: 'llama3.2', thinking: 'llama3.2', embedding: undefined } },
        ],
      });
    });

    it('refuses a provider or fallback that is not configured, saying what to set', () => {
      expect(problems({ LLM_PROVIDER: 'anthropic', LLM_FALLBACK_PROVIDERS: 'groq,custom' })).toEqual([
        'LLM_PROVIDER: "anthropic" is not configured: set ANTHROPIC_API_KEY (got "anthropic")',
        'LLM_FALLBACK_PROVIDERS: "groq" is not configured: set GROQ_API_KEY (got "groq,custom")',
        'LLM_FALLBACK_PROVIDERS: "custom" is not configured: set CUSTOM_BASE_URL (and CUSTOM_INSTANT_MODEL) (got "groq,custom")',
      ]);
      expect(problems({ LLM_PROVIDER: 'watson' })).toEqual([
        'LLM_PROVIDER: expected one of openai, anthropic, google, mistral, groq, openrouter, moonshot, custom, offline (also: gemini, google_ai) (got "watson")',
      ]);
      expect(problems({ CUSTOM_BASE_URL: 'http://localhost:11434/v1' })).toEqual([
        'CUSTOM_INSTANT_MODEL: required when CUSTOM_BASE_URL is set: the model name your server serves',
      ]);
      expect(problems({ OPENAI_BASE_URL: 'api.openai.com', LLM_TEMPERATURE: '3' })).toEqual([
        'LLM_TEMPERATURE: expected a number from 0 to 2 (got "3")',
        'OPENAI_BASE_URL: expected an http:// or https:// URL (got "api.openai.com")',
      ]);
    });

    it('lets LLM_PROVIDER=offline keep the built-in model even with keys set', () => {
      expect(llm({ LLM_PROVIDER: 'offline', OPENAI_API_KEY: 'sk-1' }).primary).toBe('offline');
    });
  });
});
