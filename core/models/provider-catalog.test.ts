import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config.ts';
import { providerAliases } from './provider-catalog.ts';
import { ModelRegistry } from './registry.ts';

describe('providerAliases', () => {
  it('knows the providers and their other names, and nothing inherited', () => {
    expect(providerAliases.gemini).toBe('google');
    expect(providerAliases.openai).toBe('openai');
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) expect(providerAliases[name]).toBeUndefined();
  });

  it('lets LLM_PROVIDER=constructor (found by the config fuzzer: a TypeError) be a configuration problem, not a crash', () => {
    for (const name of ['constructor', '__proto__', 'toString']) {
      expect(parseConfig({ LLM_PROVIDER: name })).toEqual({ ok: false, problems: [expect.stringMatching(/^LLM_PROVIDER: expected one of openai, .* \(got ".+"\)$/)] });
      expect(parseConfig({ LLM_FALLBACK_PROVIDERS: `openai,${name}`, OPENAI_API_KEY: 'sk-x' })).toMatchObject({ ok: false, problems: [expect.stringMatching(/^LLM_FALLBACK_PROVIDERS: ".+" is not a provider/)] });
    }
  });

  it('reads `constructor/x` as a model name, not a provider', () => {
    const models = new ModelRegistry();
    expect(() => models.resolve('constructor/x')).toThrow(expect.objectContaining({ code: 'model_not_found', message: expect.not.stringContaining('function') }));
  });
});
