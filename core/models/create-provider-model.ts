import type { ProviderConfig } from '../config/config.ts';
import type { EmbeddingModel, LanguageModel } from './language-model.ts';
import { providerCatalog } from './provider-catalog.ts';
import { AnthropicModel } from './providers/anthropic/index.ts';
import { GoogleEmbeddingModel, GoogleModel } from './providers/google/index.ts';
import { OpenAICompatibleEmbeddingModel, OpenAICompatibleModel } from './providers/openai-compatible/index.ts';

/**
 * The bare provider model for one configured provider and one of its keys (default: its first): the
 * only place that knows which wire each speaks.
 */
export function createLanguageModel(provider: ProviderConfig, modelId: string, apiKey = provider.apiKeys[0] ?? ''): LanguageModel {
  const spec = providerCatalog[provider.id];
  const { baseURL } = provider;
  switch (spec.wire) {
    case 'anthropic':
      return new AnthropicModel({ apiKey, baseURL, modelId });
    case 'google':
      return new GoogleModel({ apiKey, baseURL, modelId });
    case 'openai-compatible':
      return new OpenAICompatibleModel({
        provider: provider.id,
        modelId,
        baseURL,
        apiKey,
        maxTokensField: spec.maxTokensField,
        streamUsageOption: spec.streamUsageOption,
        headers: spec.headers,
      });
  }
}

/** Embeddings where the provider offers them; undefined where it does not (Anthropic, Groq, Moonshot, OpenRouter). Always its first key. */
export function createEmbeddingModel(provider: ProviderConfig, modelId: string): EmbeddingModel | undefined {
  const spec = providerCatalog[provider.id];
  const { baseURL } = provider;
  const apiKey = provider.apiKeys[0] ?? '';
  if (spec.wire === 'google') return new GoogleEmbeddingModel({ apiKey, baseURL, modelId });
  if (spec.wire === 'openai-compatible' && (spec.models.embedding || provider.id === 'custom')) {
    return new OpenAICompatibleEmbeddingModel({ provider: provider.id, modelId, baseURL, apiKey, headers: spec.headers });
  }
  return undefined;
}
