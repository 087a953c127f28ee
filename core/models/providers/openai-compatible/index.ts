export { OpenAICompatibleModel, type OpenAICompatibleSettings } from './openai-compatible-model.ts';
export { OpenAICompatibleEmbeddingModel, type OpenAICompatibleEmbeddingSettings } from './openai-compatible-embedding-model.ts';
