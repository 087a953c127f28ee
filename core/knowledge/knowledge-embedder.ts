import { GatewayError } from '../errors/gateway-error.ts';
import type { EmbeddingModel } from '../models/language-model.ts';
import { OfflineEmbeddingModel } from '../models/providers/offline/offline-embedding-model.ts';
import type { ModelRegistry } from '../models/registry.ts';

/**
 * The model the knowledge base embeds with: the primary provider's embedding model, or (for a provider
 * that has none, such as Anthropic) the built-in local one, so retrieval works with any provider.
 */
export function knowledgeEmbedder(models: Pick<ModelRegistry, 'resolveEmbedding'>): () => EmbeddingModel {
  let model: EmbeddingModel | undefined;
  return () => {
    if (model) return model;
    try {
      model = models.resolveEmbedding(undefined);
    } catch (error) {
      if (!(error instanceof GatewayError) || error.code !== 'unsupported_by_provider') throw error;
      model = new OfflineEmbeddingModel();
    }
    return model;
  };
}
