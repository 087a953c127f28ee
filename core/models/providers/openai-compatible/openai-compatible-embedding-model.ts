import type OpenAI from 'openai';
import { createOpenAIClient } from './create-openai-client.ts';
import type { EmbeddingModel, EmbedResult } from '../../language-model.ts';
import { toProviderError } from './openai-compatible-error.ts';

export interface OpenAICompatibleEmbeddingSettings {
  provider: string;
  modelId: string;
  baseURL: string;
  apiKey?: string;
  headers?: Record<string, string>;
}

/** `POST /embeddings` on any OpenAI-compatible server. */
export class OpenAICompatibleEmbeddingModel implements EmbeddingModel {
  readonly provider: string;
  readonly modelId: string;
  readonly #client: OpenAI;
  readonly #apiKey: string;

  constructor(settings: OpenAICompatibleEmbeddingSettings) {
    this.provider = settings.provider;
    this.modelId = settings.modelId;
    this.#apiKey = settings.apiKey ?? '';
    this.#client = createOpenAIClient(settings);
  }

  async doEmbed({ values, abortSignal }: { values: string[]; abortSignal?: AbortSignal }): Promise<EmbedResult> {
    try {
      const response = await this.#client.embeddings.create(
        { model: this.modelId, input: values, encoding_format: 'float' },
        { signal: abortSignal },
      );
      const embeddings = [...response.data].sort((a, b) => a.index - b.index).map((item) => item.embedding);
      return { embeddings, usage: { inputTokens: response.usage?.prompt_tokens ?? 0 } };
    } catch (error) {
      if (abortSignal?.aborted) throw abortSignal.reason;
      throw toProviderError(error, { provider: this.provider, modelId: this.modelId, apiKey: this.#apiKey });
    }
  }
}
