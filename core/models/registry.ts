import { GatewayError } from '../errors/gateway-error.ts';
import type { LanguageModel } from './language-model.ts';
import { OfflineModel } from './providers/offline/offline-model.ts';

export type Tier = 'instant' | 'thinking';

/** Names a client may use instead of a model id: the configured model for a tier. */
export const tierAliases: Record<string, Tier> = { default: 'instant', instant: 'instant', thinking: 'thinking' };

export interface ModelInfo {
  /** What clients put in `model`: `provider/model`, or the bare model id. */
  id: string;
  provider: string;
}

export interface ResolvedModel {
  model: LanguageModel;
  tier: Tier;
}

/**
 * Which models exist and which serves a request. Until the providers issue lands, the offline model
 * serves every tier; the registry's shape is the one real providers will fill.
 */
export class ModelRegistry {
  readonly #models: LanguageModel[];
  readonly #tiers: Record<Tier, LanguageModel>;

  constructor() {
    const offline = new OfflineModel();
    this.#models = [offline];
    this.#tiers = { instant: offline, thinking: offline };
  }

  list(): ModelInfo[] {
    return this.#models.map((model) => ({ id: model.modelId, provider: model.provider }));
  }

  /** Resolves a model id, `provider/model` or tier alias; an unknown name is a 404 listing what exists. */
  resolve(name: string | undefined): ResolvedModel {
    const alias = tierAliases[name ?? 'default'];
    if (alias) return { model: this.#tiers[alias], tier: alias };
    const found = this.#models.find((model) => name === model.modelId || name === `${model.provider}/${model.modelId}`);
    if (found) return { model: found, tier: 'instant' };
    const known = [...this.list().map((info) => info.id), ...Object.keys(tierAliases)].join(', ');
    throw new GatewayError('model_not_found', `The model "${name}" does not exist. Available: ${known}.`, {
      param: 'model',
    });
  }
}
