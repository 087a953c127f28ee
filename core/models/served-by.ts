import type { GenerateResult, LanguageModel } from './language-model.ts';

/**
 * Which deployment answered, as `provider/model` (or `offline`): after failover it is not the model
 * that was asked first, and usage, cost and the client's `model` field must name the one that served,
 * in the form a client can send back. Without a result (the call failed), the model that was asked.
 */
export function servedBy(model: LanguageModel, result?: GenerateResult): string {
  if (result?.response?.deployment) return result.response.deployment;
  return model.provider === 'offline' ? 'offline' : `${model.provider}/${model.modelId}`;
}
