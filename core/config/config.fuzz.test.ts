import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { providerCatalog, providerIds } from '../models/provider-catalog.ts';
import { configSchema, parseConfig } from './config.ts';

/**
 * The configuration loader against random environments: random subsets of the variables it knows, with
 * random values (strings, numbers, unicode, empty, huge, values that nearly pass), and names it does not
 * know. It returns a configuration or the list of problems; it never throws, every problem names a
 * variable, every variable refused on its own is named, and no secret's value is ever echoed.
 */

/** Every variable the loader reads, from its schema, so a variable added later is fuzzed too. */
const knownNames = Object.keys(configSchema.in.shape);

/** config.ts's `secretNames`: variables whose values must never appear in a problem. */
const secretNames = [
  'JWT_SECRET',
  'MONGODB_URL',
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'DISCORD_BOT_TOKEN',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  ...providerIds.map((id) => `${providerCatalog[id].envPrefix}_API_KEY`),
];
const secrets = new Set(secretNames);

/** A valid value for each secret, to check the list above against the loader's own. */
const validSecret: Record<string, string> = {
  JWT_SECRET: 'j'.repeat(40),
  MONGODB_URL: 'mongodb://u:p@db.example:27017/gw',
  TELEGRAM_BOT_TOKEN: '123456:ABC-def_ghi',
  TELEGRAM_WEBHOOK_SECRET: 'hook_secret-1',
  DISCORD_BOT_TOKEN: 'aaaaaaaaaaaa.bbbbbb.cccccccccccc',
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
  SLACK_APP_TOKEN: 'xapp-1-abc',
};

/**
 * Variables a problem can name because of another variable (the schema's cross-checks): refused alone
 * is not refused in every company (LLM_PROVIDER=openai is fine once OPENAI_API_KEY is set).
 */
const crossChecked = new Set(['LLM_PROVIDER', 'LLM_FALLBACK_PROVIDERS', 'RAG_CHUNK_OVERLAP', 'FETCH_ALLOWED_HOSTS', 'SLACK_SIGNING_SECRET', 'CUSTOM_INSTANT_MODEL', 'JWT_ISSUER', 'JWT_AUDIENCE']);

const edgeValues = [
  '0', '1', '-1', '8080', '65536', '1e3', '0x10', ' 42 ', '3.5', 'NaN', 'Infinity', '-0', '9'.repeat(400),
  'true', 'on', 'off', 'auto', 'open', 'pairing', 'all', 'none', 'worker,http', 'worker,chef', 'day', 'month',
  'openai', 'gemini', 'offline', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'openai,constructor',
  'redis://127.0.0.1:6379', 'rediss://', 'redis://a b', 'http://x', 'https://example.com/telegram', 'https://', 'http://[::1', 'javascript:alert(1)',
  'mongodb://x', 'xoxb-1', 'xapp-1', '123:abc', 'a'.repeat(32), '0123456789abcdef0123456789abcdef',
  'telegram:1,slack:T1:U2', 'nope:1', ':', ',,,', 'fetch_url', 'calculator,shell',
  '{}', '[]', 'null', '{"fetch_url":["admin"]}', '{"__proto__":["admin"]}', '{"constructor":{"input":1,"output":2}}', '{"a/b":{"input":-1}}', '{',
  '*.example.com', '*', 'https://app.example.com,*', '/slack/events', '\u0000', '\n', '\u202e', '😀', 'é'.normalize('NFD'),
];
const nearlyValid = fc.constantFrom(...edgeValues);

/** Values of every kind, a few of them huge. */
const value = fc.oneof(
  { weight: 3, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: nearlyValid },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.bigInt()).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t') },
  { weight: 1, arbitrary: fc.tuple(fc.string({ minLength: 1, maxLength: 3 }), fc.integer({ min: 10_000, max: 200_000 })).map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length))) },
  { weight: 1, arbitrary: fc.json() },
);

/** Names the loader does not know, among them the ones that trip up plain objects. */
const unknownName = fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'PORT ', 'port', 'OPENAI_API_KEY_2'));

const environment = fc
  .tuple(fc.dictionary(fc.constantFrom(...knownNames), value, { maxKeys: 20 }), fc.dictionary(unknownName, value, { maxKeys: 4 }))
  .map(([known, unknown]) => {
    // Own properties even for `__proto__`, as process.env would hold them.
    const env: Record<string, string> = {};
    for (const [name, text] of [...Object.entries(unknown), ...Object.entries(known)]) Object.defineProperty(env, name, { value: text, enumerable: true, writable: true, configurable: true });
    return env;
  });

const nameOf = (problem: string) => problem.slice(0, problem.indexOf(':'));

describe('parseConfig, fuzzed', () => {
  it('lists the same secrets as the loader masks', () => {
    for (const name of secretNames) {
      const value = validSecret[name] ?? `sk-fuzz-${name.toLowerCase()}`;
      const result = parseConfig({ [name]: value, SLACK_SIGNING_SECRET: validSecret.SLACK_SIGNING_SECRET });
      expect(result.ok && result.config.secrets, name).toContain(value);
    }
  });

  it('takes every variable alone with every edge value without throwing, naming it when it refuses it', () => {
    for (const name of knownNames) {
      for (const text of edgeValues) {
        const result = parseConfig({ [name]: text });
        if (!result.ok) expect(result.problems.map(nameOf).every((named) => named === name || crossChecked.has(named)), `${name}=${text}: ${result.problems}`).toBe(true);
      }
    }
  });

  it('returns a configuration or problems that name each offending variable, never throwing and never echoing a secret', () => {
    const started = Date.now();
    fc.assert(
      fc.property(environment, (env) => {
        const result = parseConfig(env);
        if (result.ok) {
          expect(result.config).toBeTypeOf('object');
          return;
        }
        const { problems } = result;
        expect(problems.length).toBeGreaterThan(0);
        const present = Object.entries(env).filter(([name, text]) => text !== '' && knownNames.includes(name));
        const named = new Set(problems.map(nameOf));
        // Each problem names a variable that is set, or one a cross-check asks for.
        for (const name of named) expect(present.some(([set]) => set === name) || crossChecked.has(name), `${name} in ${JSON.stringify(problems)}`).toBe(true);
        // Each variable refused on its own is named among the problems.
        for (const [name, text] of present) {
          if (crossChecked.has(name)) continue;
          const alone = parseConfig({ [name]: text });
          if (!alone.ok && alone.problems.some((problem) => nameOf(problem) === name)) expect(named, `${name}=${JSON.stringify(text).slice(0, 80)}`).toContain(name);
        }
        // No secret's value, raw or as JSON would quote it: unless it is there without the secret too (a
        // variable that is no secret holds it, or the words of a message happen to contain it).
        const text = problems.join('\n');
        for (const [name, secret] of present) {
          if (!secrets.has(name)) continue;
          for (const problem of problems.filter((line) => nameOf(line) === name)) expect(problem).not.toMatch(/\(got .*\)$/s);
          if (secret.trim().length < 8 || !(text.includes(secret) || text.includes(JSON.stringify(secret).slice(1, -1)))) continue;
          const withoutIt = parseConfig(Object.fromEntries(present.filter(([other, otherText]) => !(secrets.has(other) && otherText === secret))));
          const textWithoutIt = withoutIt.ok ? '' : withoutIt.problems.join('\n');
          expect(textWithoutIt.includes(secret) || textWithoutIt.includes(JSON.stringify(secret).slice(1, -1)), `${name}'s value appears in ${text.slice(0, 300)}`).toBe(true);
        }
      }),
      { numRuns: 1000, interruptAfterTimeLimit: 5000 },
    );
    console.log(`config fuzz: ${Date.now() - started} ms`);
  });

  it('never echoes a secret that is almost valid, whatever else is wrong', () => {
    const secretEnv = fc
      .tuple(
        fc.subarray(secretNames, { minLength: 1 }),
        fc.string({ minLength: 8, maxLength: 60 }).map((text) => `S3cr3t-${text}`),
        fc.dictionary(fc.constantFrom(...knownNames.filter((name) => !secrets.has(name))), value, { maxKeys: 6 }),
      )
      .map(([names, secret, others]) => ({ secret, env: { ...others, ...Object.fromEntries(names.map((name) => [name, secret])) } }));
    fc.assert(
      fc.property(secretEnv, ({ secret, env }) => {
        const result = parseConfig(env);
        if (result.ok) return;
        if (Object.entries(env).some(([name, text]) => !secrets.has(name) && text.includes(secret))) return;
        const text = result.problems.join('\n');
        expect(text).not.toContain(secret);
        expect(text).not.toContain(JSON.stringify(secret).slice(1, -1));
      }),
      { numRuns: 200, interruptAfterTimeLimit: 2000 },
    );
  });
});
