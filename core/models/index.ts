export type { CallOptions, GenerateResult, LanguageModel } from './language-model.ts';
export { ModelRegistry, tierAliases, type ModelInfo, type ResolvedModel, type Tier } from './registry.ts';
export { OfflineModel, estimateTokens } from './providers/offline/offline-model.ts';
