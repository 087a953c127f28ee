import type { CallOptions, LanguageModel } from './language-model.ts';

export interface CallDefaults {
  /** LLM_TEMPERATURE. */
  temperature?: number;
  /** LLM_MAX_TOKENS. */
  maxOutputTokens?: number;
}

/** Fills what the request left unset with the configured defaults. */
export function withDefaults(model: LanguageModel, defaults: CallDefaults): LanguageModel {
  if (defaults.temperature === undefined && defaults.maxOutputTokens === undefined) return model;
  const fill = (options: CallOptions): CallOptions => ({
    ...options,
    temperature: options.temperature ?? defaults.temperature,
    maxOutputTokens: options.maxOutputTokens ?? defaults.maxOutputTokens,
  });
  return {
    provider: model.provider,
    modelId: model.modelId,
    doGenerate: (options) => model.doGenerate(fill(options)),
    doStream: (options) => model.doStream(fill(options)),
  };
}
