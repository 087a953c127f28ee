/**
 * Every provider the gateway speaks, in one table: the single source for config variable names,
 * default endpoints, default models per tier, and the small deltas between OpenAI-compatible vendors.
 */
export const providerIds = ['openai', 'anthropic', 'google', 'mistral', 'groq', 'openrouter', 'moonshot', 'custom'] as const;
export type ProviderId = (typeof providerIds)[number];

/**
 * Names users also write for a provider. Looked up with what users type (LLM_PROVIDER, `provider/model`),
 * so it has no prototype: `constructor` or `__proto__` is no provider, not Object's own members.
 */
export const providerAliases: Readonly<Record<string, ProviderId | 'offline'>> = Object.assign(Object.create(null) as Record<string, ProviderId | 'offline'>, {
  ...Object.fromEntries(providerIds.map((id) => [id, id])),
  gemini: 'google',
  google_ai: 'google',
  offline: 'offline',
});

export type Wire = 'openai-compatible' | 'anthropic' | 'google';

export interface ProviderSpec {
  id: ProviderId;
  /** `<PREFIX>_API_KEY`, `<PREFIX>_BASE_URL`, `<PREFIX>_INSTANT_MODEL`, `<PREFIX>_THINKING_MODEL`, `<PREFIX>_EMBEDDING_MODEL`. */
  envPrefix: string;
  wire: Wire;
  /** Undefined for `custom`, whose base URL is what configures it. */
  defaultBaseURL?: string;
  /** Local servers (custom) need no key. */
  requiresKey: boolean;
  models: { instant?: string; thinking?: string; embedding?: string };
  /** OpenAI-compatible vendors differ only in these. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  streamUsageOption?: boolean;
  headers?: Record<string, string>;
}

export const providerCatalog: Record<ProviderId, ProviderSpec> = {
  openai: {
    id: 'openai',
    envPrefix: 'OPENAI',
    wire: 'openai-compatible',
    defaultBaseURL: 'https://api.openai.com/v1',
    requiresKey: true,
    models: { instant: 'gpt-5-mini', thinking: 'gpt-5', embedding: 'text-embedding-3-small' },
    maxTokensField: 'max_completion_tokens',
  },
  anthropic: {
    id: 'anthropic',
    envPrefix: 'ANTHROPIC',
    wire: 'anthropic',
    defaultBaseURL: 'https://api.anthropic.com',
    requiresKey: true,
    models: { instant: 'claude-haiku-4-5', thinking: 'claude-sonnet-4-5' },
  },
  google: {
    id: 'google',
    envPrefix: 'GOOGLE_AI',
    wire: 'google',
    defaultBaseURL: 'https://generativelanguage.googleapis.com',
    requiresKey: true,
    models: { instant: 'gemini-2.5-flash', thinking: 'gemini-2.5-pro', embedding: 'gemini-embedding-001' },
  },
  mistral: {
    id: 'mistral',
    envPrefix: 'MISTRAL',
    wire: 'openai-compatible',
    defaultBaseURL: 'https://api.mistral.ai/v1',
    requiresKey: true,
    models: { instant: 'mistral-small-latest', thinking: 'magistral-medium-latest', embedding: 'mistral-embed' },
    // Mistral reports usage in its last chunk unasked and does not take stream_options.
    streamUsageOption: false,
  },
  groq: {
    id: 'groq',
    envPrefix: 'GROQ',
    wire: 'openai-compatible',
    defaultBaseURL: 'https://api.groq.com/openai/v1',
    requiresKey: true,
    models: { instant: 'llama-3.1-8b-instant', thinking: 'openai/gpt-oss-120b' },
  },
  openrouter: {
    id: 'openrouter',
    envPrefix: 'OPENROUTER',
    wire: 'openai-compatible',
    defaultBaseURL: 'https://openrouter.ai/api/v1',
    requiresKey: true,
    models: { instant: 'openai/gpt-5-mini', thinking: 'anthropic/claude-sonnet-4.5' },
    headers: { 'X-Title': 'chat-gateway' },
  },
  moonshot: {
    id: 'moonshot',
    envPrefix: 'MOONSHOT',
    wire: 'openai-compatible',
    defaultBaseURL: 'https://api.moonshot.ai/v1',
    requiresKey: true,
    models: { instant: 'kimi-k2-turbo-preview', thinking: 'kimi-k2-thinking' },
  },
  custom: {
    id: 'custom',
    envPrefix: 'CUSTOM',
    wire: 'openai-compatible',
    requiresKey: false,
    models: {},
  },
};

/**
 * Context windows of the default models and their families, for refusing a prompt that cannot fit
 * before paying for a round trip. Unknown models are not pre-checked; the provider's own refusal
 * then arrives as `context_length_exceeded`.
 */
const contextWindows: [RegExp, number][] = [
  [/^gpt-5/, 400_000],
  [/^gpt-4\.1/, 1_047_576],
  [/^(gpt-4o|o1|o3|o4)/, 128_000],
  [/^claude-/, 200_000],
  [/^gemini-(2|3)/, 1_048_576],
  [/^(mistral|magistral|ministral|codestral)/, 128_000],
  [/^(llama-3|gpt-oss|openai\/gpt-oss)/, 131_072],
  [/^kimi-k2/, 262_144],
];

export function contextWindowOf(modelId: string): number | undefined {
  // OpenRouter names models `vendor/model`; their family decides.
  const bare = modelId.includes('/') && !modelId.startsWith('openai/gpt-oss') ? modelId.slice(modelId.indexOf('/') + 1) : modelId;
  return contextWindows.find(([pattern]) => pattern.test(bare))?.[1];
}
