export type {
  CallOptions,
  Content,
  EmbeddingModel,
  GenerateResult,
  LanguageModel,
  ModelMessage,
  StreamPart,
  StreamResult,
  ToolChoice,
  ToolDefinition,
} from './language-model.ts';
export { ModelRegistry, tierAliases, type ModelInfo, type ProviderStatus, type ResolvedModel, type Tier } from './registry.ts';
export { OfflineModel, estimateTokens } from './providers/offline/offline-model.ts';
export { collectStream, textOf } from './collect-stream.ts';
export type { CircuitBreakerStore, CircuitState } from './with-circuit-breaker.ts';
