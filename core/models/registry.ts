import { offlineLlmConfig, type LlmConfig, type ProviderConfig } from '../config/config.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { createEmbeddingModel, createLanguageModel } from './create-provider-model.ts';
import type { EmbeddingModel, LanguageModel } from './language-model.ts';
import { contextWindowOf, providerAliases, providerCatalog } from './provider-catalog.ts';
import type { TokenBuckets } from '../limits/token-buckets.ts';
import { OfflineEmbeddingModel } from './providers/offline/offline-embedding-model.ts';
import { OfflineModel } from './providers/offline/offline-model.ts';
import { circuitKey, withCircuitBreaker, type CircuitBreakerStore, type CircuitState } from './with-circuit-breaker.ts';
import { withContextCheck } from './with-context-check.ts';
import { withDefaults } from './with-defaults.ts';
import { withProviderLimit } from './with-provider-limit.ts';
import { withFailover } from './with-failover.ts';
import { withRetry } from './with-retry.ts';
import { withTimeouts } from './with-timeouts.ts';
import { withMetrics } from './with-metrics.ts';
import { fingerprintOf, KeyRing, type KeyStateStore, type KeyStatus } from './key-ring.ts';
import { withKeyRotation } from './with-key-rotation.ts';
import type { PriceTable } from '../usage/prices.ts';
import { deploymentId, LatencyBoard, type Strategy, type TierPolicy } from './routing-policy.ts';
import type { RoutingPolicyFile } from './routing-policy-file.ts';
import { withRoutingPolicy, type PolicyArm } from './with-routing-policy.ts';

export type Tier = 'instant' | 'thinking';

/** Names a client may use instead of a model id: the configured chain for a tier. */
/** Without a prototype: a model named `__proto__` or `constructor` is no alias. */
export const tierAliases: Readonly<Record<string, Tier>> = Object.assign(Object.create(null) as Record<string, Tier>, { default: 'instant', instant: 'instant', thinking: 'thinking' });

export interface ModelInfo {
  /** What clients put in `model`: `provider/model`, or `offline`. */
  id: string;
  provider: string;
}

export interface ResolvedModel {
  model: LanguageModel;
  tier: Tier;
  /** Tokens the model takes in all (for a chain, its smallest member's); undefined when not known. */
  contextWindow: number | undefined;
}

export interface ProviderStatus {
  id: string;
  role: 'primary' | 'fallback' | 'available';
  /** Where requests go; credentials in the URL are never shown. */
  baseURL: string | null;
  models: { instant: string; thinking: string; embedding: string | null };
  status: 'ok' | 'degraded' | 'down';
  /** Its keys by fingerprint, and whether each is in rotation; never a key. */
  keys: KeyStatus[];
  circuits: { model: string; state: CircuitState; consecutiveFailures: number; retryInMs?: number }[];
}

/** The routing policy in force, as /v1/providers reports it. */
export interface RoutingStatus {
  policy: string;
  loadedAt: string;
  /** Why the policy file's last change was refused (the policy before it stays in force); null when it was not. */
  error: string | null;
  tiers: Partial<Record<Tier, { strategy: Strategy; deployments: { id: string; model: string; weight?: number; timeToFirstTokenMs?: number }[] }>>;
}

export interface ModelRegistryOptions {
  /** Default: no provider configured, so the offline model serves everything. */
  llm?: LlmConfig;
  /** Shared circuit state. Default: none (no breakers), which suits only the offline model. */
  circuits?: CircuitBreakerStore;
  /** Shared buckets for providers' own limits (`<PREFIX>_RPM`, `_TPM`). Default: none, so those limits are not kept. */
  buckets?: TokenBuckets;
  /** Where a provider's keys are set aside (429, 401) when it has several. Default: this process's memory. */
  keyStates?: KeyStateStore;
  /** ROUTING_POLICY_FILE, when set: the tiers it names are served by its policy. Default: none, the failover chain. */
  routing?: RoutingPolicyFile;
  /** What `cheapest` ranks by. Default: none, every deployment unpriced. */
  prices?: PriceTable;
}


/**
 * Which models exist and how each is called. Every deployment (provider + model) is wrapped
 * model-in, model-out: context check, circuit breaker, timeouts; a tier is the primary provider's
 * model failing over to the fallbacks' models, retried as a whole, with the configured defaults.
 */
export class ModelRegistry {
  readonly #llm: LlmConfig;
  readonly #circuits: CircuitBreakerStore | undefined;
  readonly #buckets: TokenBuckets | undefined;
  readonly #cache = new Map<string, ResolvedModel>();
  /** Providers with several keys: one ring each, shared by all their models. */
  readonly #rings = new Map<string, KeyRing>();
  readonly #routing: RoutingPolicyFile | undefined;
  readonly #prices: PriceTable | undefined;
  /** Times to first token by deployment id: kept across policy changes, as the deployments are the same. */
  readonly #latency = new LatencyBoard();

  constructor({ llm = offlineLlmConfig(), circuits, buckets, keyStates, routing, prices }: ModelRegistryOptions = {}) {
    this.#buckets = buckets;
    this.#routing = routing;
    this.#prices = prices;
    // A new policy serves the next request; calls under way finish under the one they started with.
    routing?.onChange(() => this.#cache.clear());
    for (const provider of llm.providers) {
      if (provider.apiKeys.length > 1) this.#rings.set(provider.id, new KeyRing(provider.id, provider.apiKeys, keyStates ? { store: keyStates } : {}));
    }
    this.#llm = llm;
    this.#circuits = circuits;
  }

  /** The provider answering by default: a configured provider id, or `offline`. */
  get primary(): string {
    return this.#llm.primary;
  }

  list(): ModelInfo[] {
    if (this.#llm.primary === 'offline') return [{ id: 'offline', provider: 'offline' }];
    const ids = this.#llm.providers.flatMap((p) => [p.models.instant, p.models.thinking].map((m) => ({ id: `${p.id}/${m}`, provider: p.id })));
    return ids.filter((info, index) => ids.findIndex((other) => other.id === info.id) === index);
  }

  /** A model id, `provider/model`, or tier alias; an unknown name is a 404 listing what exists. */
  resolve(name: string | undefined): ResolvedModel {
    const key = name ?? 'default';
    let resolved = this.#cache.get(key);
    if (!resolved) {
      resolved = this.#build(key);
      this.#cache.set(key, resolved);
    }
    return resolved;
  }

  /** The embedding model a request names (`provider/model` or a model id), or the primary provider's. */
  resolveEmbedding(name: string | undefined): EmbeddingModel {
    if (this.#llm.primary === 'offline' && (!name || name === 'default' || name === 'offline')) return new OfflineEmbeddingModel();
    const target = this.#target(name && name !== 'default' ? name : undefined, 'embedding');
    const provider = target?.provider ?? this.#provider(this.#llm.primary);
    if (!provider) {
      // No provider is configured (the built-in offline model answers), and the name is none of its.
      throw new GatewayError('model_not_found', `The embedding model "${name}" does not exist. Available: default, offline.`, { param: 'model' });
    }
    const modelId = target?.modelId ?? provider.models.embedding;
    if (!modelId) {
      const offering = this.#llm.providers.filter((p) => p.models.embedding).map((p) => `${p.id}/${p.models.embedding}`);
      throw new GatewayError(
        'unsupported_by_provider',
        `${provider.id} offers no embeddings.${offering.length ? ` Name one of: ${offering.join(', ')}.` : ' Configure a provider that does (OpenAI, Google, Mistral or a custom server).'}`,
        { param: 'model' },
      );
    }
    const model = createEmbeddingModel(provider, modelId);
    if (!model) throw new GatewayError('unsupported_by_provider', `${provider.id} offers no embeddings.`, { param: 'model' });
    return model;
  }

  /** Every configured provider with its models and circuit states; never a key. */
  async providers(): Promise<ProviderStatus[]> {
    const offline: ProviderStatus[] =
      this.#llm.primary === 'offline'
        ? [{ id: 'offline', role: 'primary', baseURL: null, models: { instant: 'offline', thinking: 'offline', embedding: 'offline' }, status: 'ok', keys: [], circuits: [] }]
        : [];
    const configured = await Promise.all(
      this.#llm.providers.map(async (provider): Promise<ProviderStatus> => {
        const models = [...new Set([provider.models.instant, provider.models.thinking])];
        const circuits = await Promise.all(
          models.map(async (model) => {
            const state = this.#circuits
              ? await this.#circuits.state(circuitKey({ provider: provider.id, modelId: model })).catch(() => undefined)
              : undefined;
            return { model, ...(state ?? { state: 'closed' as const, consecutiveFailures: 0 }) };
          }),
        );
        const open = circuits.filter((c) => c.state === 'open').length;
        return {
          id: provider.id,
          role: provider.id === this.#llm.primary ? 'primary' : this.#llm.fallbacks.includes(provider.id) ? 'fallback' : 'available',
          baseURL: withoutCredentials(provider.baseURL),
          models: { ...provider.models, embedding: provider.models.embedding ?? null },
          status: open === 0 ? 'ok' : open === circuits.length ? 'down' : 'degraded',
          keys: (await this.#rings.get(provider.id)?.status()) ?? provider.apiKeys.map((key) => ({ fingerprint: fingerprintOf(key), state: 'active' as const })),
          circuits,
        };
      }),
    );
    return [...offline, ...configured];
  }

  #build(name: string): ResolvedModel {
    const tier = tierAliases[name];
    if (tier) return { ...this.#tier(tier), tier };
    if (this.#llm.primary === 'offline' && (name === 'offline' || name === 'offline/offline')) {
      return { model: new OfflineModel(), tier: 'instant', contextWindow: undefined };
    }
    const target = this.#target(name, 'chat');
    if (!target) {
      const known = [...this.list().map((info) => info.id), ...Object.keys(tierAliases)].join(', ');
      throw new GatewayError('model_not_found', `The model "${name}" does not exist. Available: ${known}.`, { param: 'model' });
    }
    const { provider, modelId } = target;
    const model = withDefaults(withRetry(this.#deployment(provider, modelId), this.#retry()), this.#defaults());
    const namedTier = provider.models.thinking === modelId && provider.models.instant !== modelId ? 'thinking' : 'instant';
    return { model, tier: namedTier, contextWindow: contextWindowOf(modelId) };
  }

  /** `provider/model` (any model the provider serves), or a bare id one configured provider is set up with. */
  #target(name: string | undefined, use: 'chat' | 'embedding'): { provider: ProviderConfig; modelId: string } | undefined {
    if (!name) return undefined;
    const slash = name.indexOf('/');
    if (slash > 0) {
      const id = providerAliases[name.slice(0, slash).toLowerCase()];
      const provider = id ? this.#provider(id) : undefined;
      if (id && id !== 'offline' && !provider) {
        throw new GatewayError('model_not_found', `The provider "${id}" is not configured on this gateway.`, { param: 'model' });
      }
      if (provider) return { provider, modelId: name.slice(slash + 1) };
    }
    const provider = this.#llm.providers.find((p) =>
      use === 'embedding' ? p.models.embedding === name : p.models.instant === name || p.models.thinking === name,
    );
    return provider ? { provider, modelId: name } : undefined;
  }

  /** The routing policy in force, if any, with each deployment's recent time to first token: what /v1/providers shows. */
  routing(): RoutingStatus | null {
    if (!this.#routing) return null;
    const { loaded, error } = this.#routing.status();
    const tiers = Object.entries(loaded.policy.tiers).map(([tier, policy]) => [
      tier,
      {
        strategy: policy.strategy,
        deployments: policy.deployments.map((deployment) => {
          const id = deploymentId(deployment);
          const average = this.#latency.averageOf(id);
          return { id, model: `${deployment.provider}/${deployment.model}`, ...(deployment.weight === undefined ? {} : { weight: deployment.weight }), ...(average === undefined ? {} : { timeToFirstTokenMs: Math.round(average) }) };
        }),
      },
    ]);
    return { policy: loaded.name, loadedAt: loaded.loadedAt, error, tiers: Object.fromEntries(tiers) };
  }

  #tier(tier: Tier): { model: LanguageModel; contextWindow: number | undefined } {
    if (this.#llm.primary === 'offline') return { model: new OfflineModel(), contextWindow: undefined };
    const policy = this.#routing?.current;
    const tierPolicy = policy?.policy.tiers[tier];
    if (policy && tierPolicy) return this.#policyTier(tier, policy.name, tierPolicy);
    const providers = [this.#llm.primary, ...this.#llm.fallbacks].flatMap((id) => this.#provider(id) ?? []);
    const chain = providers.map((provider) => this.#deployment(provider, provider.models[tier]));
    // Whatever fits the smallest window fits every member, so failover never meets a prompt too long.
    const windows = providers.map((provider) => contextWindowOf(provider.models[tier]));
    const contextWindow = windows.includes(undefined) ? undefined : Math.min(...(windows as number[]));
    return { model: withDefaults(withRetry(withFailover(chain), this.#retry()), this.#defaults()), contextWindow };
  }

  /**
   * A tier its routing policy serves. The prompt is fitted to the largest window among its deployments
   * (the smallest under `priority`, as for the failover chain): `cheapest` then passes over those it does
   * not fit, and any other refuses it as too long, which fails over to one it fits.
   */
  #policyTier(tier: Tier, name: string, policy: TierPolicy): { model: LanguageModel; contextWindow: number | undefined } {
    const arms: PolicyArm[] = policy.deployments.map((deployment) => {
      // The policy file was checked against the configured providers when it was read.
      const provider = this.#provider(deployment.provider)!;
      const candidate = {
        id: deploymentId(deployment),
        provider: provider.id,
        model: deployment.model,
        weight: deployment.weight ?? 1,
        contextWindow: contextWindowOf(deployment.model),
        price: this.#prices?.priceOf(`${provider.id}/${deployment.model}`),
      };
      return { candidate, model: this.#deployment(provider, deployment.model) };
    });
    const circuits = this.#circuits;
    const isAvailable = circuits
      ? async ({ candidate }: PolicyArm) => (await circuits.state(circuitKey({ provider: candidate.provider, modelId: candidate.model }))).state !== 'open'
      : undefined;
    const model = withRoutingPolicy({ tier, name, policy, arms, latency: this.#latency, ...(isAvailable ? { isAvailable } : {}) });
    const windows = arms.map((arm) => arm.candidate.contextWindow);
    const known = windows.filter((window) => window !== undefined);
    const contextWindow = known.length < windows.length ? undefined : (policy.strategy === 'priority' ? Math.min : Math.max)(...known);
    return { model: withDefaults(withRetry(model, this.#retry()), this.#defaults()), contextWindow };
  }

  #deployment(provider: ProviderConfig, modelId: string): LanguageModel {
    const { firstByteTimeoutMs: firstByteMs, timeoutMs: totalMs } = this.#llm;
    const call = (key?: string) => withMetrics(withTimeouts(createLanguageModel(provider, modelId, key), { firstByteMs, totalMs }));
    const ring = this.#rings.get(provider.id);
    const timed = ring ? withKeyRotation(provider.apiKeys.map(call), ring) : call();
    const guarded = this.#circuits ? withCircuitBreaker(timed, this.#circuits) : timed;
    // Outside the breaker: waiting for our own limit says nothing about the provider's health.
    const prefix = providerCatalog[provider.id].envPrefix;
    const limited = this.#buckets ? withProviderLimit(guarded, this.#buckets, { ...provider.limits, setting: `${prefix}_RPM, ${prefix}_TPM` }) : guarded;
    return withContextCheck(limited, contextWindowOf(modelId));
  }

  #provider(id: string) {
    return this.#llm.providers.find((provider) => provider.id === id);
  }

  #retry() {
    return { maxRetries: this.#llm.maxRetries };
  }

  #defaults() {
    return { temperature: this.#llm.temperature, maxOutputTokens: this.#llm.maxTokens };
  }
}

function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
