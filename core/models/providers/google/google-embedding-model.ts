import type { EmbeddingModel, EmbedResult } from '../../language-model.ts';
import { ProviderCallError } from '../../provider-error.ts';
import { googleBatchEmbedResponseSchema } from './google-api.ts';
import { googleErrorFromResponse, googleNetworkError, googleProviderError, type GoogleCallContext } from './google-error.ts';
import { defaultGoogleBaseURL } from './google-model.ts';

/** batchEmbedContents accepts at most 100 requests per call. */
export const maxEmbeddingsPerCall = 100;

export interface GoogleEmbeddingModelOptions {
  apiKey: string;
  /** The bare origin. Default: https://generativelanguage.googleapis.com */
  baseURL?: string;
  /** e.g. `gemini-embedding-001` or `text-embedding-004` (a `models/` prefix is accepted too). */
  modelId: string;
}

/** Gemini embeddings through :batchEmbedContents, in batches of at most 100, in the input's order. */
export class GoogleEmbeddingModel implements EmbeddingModel {
  readonly provider = 'google';
  readonly modelId: string;
  readonly #apiKey: string;
  readonly #baseURL: string;

  constructor({ apiKey, baseURL = defaultGoogleBaseURL, modelId }: GoogleEmbeddingModelOptions) {
    this.modelId = modelId.replace(/^models\//, '');
    this.#apiKey = apiKey;
    this.#baseURL = baseURL.replace(/\/+$/, '');
  }

  async doEmbed({ values, abortSignal }: { values: string[]; abortSignal?: AbortSignal }): Promise<EmbedResult> {
    const embeddings: number[][] = [];
    let inputTokens = 0;
    for (let start = 0; start < values.length; start += maxEmbeddingsPerCall) {
      const batch = values.slice(start, start + maxEmbeddingsPerCall);
      const result = await this.#embedBatch(batch, abortSignal);
      embeddings.push(...result.embeddings);
      inputTokens += result.usage.inputTokens;
    }
    return { embeddings, usage: { inputTokens } };
  }

  async #embedBatch(values: string[], abortSignal: AbortSignal | undefined): Promise<EmbedResult> {
    const context: GoogleCallContext = { modelId: this.modelId, apiKey: this.#apiKey };
    abortSignal?.throwIfAborted();
    let json: unknown;
    try {
      const response = await fetch(`${this.#baseURL}/v1beta/models/${this.modelId}:batchEmbedContents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': this.#apiKey },
        body: JSON.stringify({
          requests: values.map((text) => ({ model: `models/${this.modelId}`, content: { parts: [{ text }] } })),
        }),
        signal: abortSignal ?? null,
      });
      if (!response.ok) throw await googleErrorFromResponse(response, context);
      json = await response.json().catch((error: unknown) => {
        throw googleProviderError('the embedding response is not valid JSON', context, error);
      });
    } catch (error) {
      if (abortSignal?.aborted) throw abortSignal.reason;
      if (error instanceof ProviderCallError) throw error;
      throw googleNetworkError(error, context);
    }

    const parsed = googleBatchEmbedResponseSchema.safeParse(json);
    if (!parsed.success) throw googleProviderError(`unexpected embedding response: ${parsed.error.message}`, context, parsed.error);
    // One vector per input, in order: anything else would pair texts with the wrong vectors.
    if (parsed.data.embeddings.length !== values.length) {
      throw googleProviderError(`expected ${values.length} embeddings, got ${parsed.data.embeddings.length}`, context);
    }
    // Google does not report embedding usage; about four characters a token keeps cost accounting close.
    const estimated = Math.ceil(values.reduce((sum, text) => sum + text.length, 0) / 4);
    return {
      embeddings: parsed.data.embeddings.map((embedding) => embedding.values),
      usage: { inputTokens: parsed.data.usageMetadata?.promptTokenCount ?? estimated },
    };
  }
}
