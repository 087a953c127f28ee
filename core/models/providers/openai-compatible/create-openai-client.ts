import OpenAI from 'openai';

export interface OpenAIClientSettings {
  baseURL: string;
  apiKey?: string;
  headers?: Record<string, string>;
}

/**
 * The SDK client every OpenAI-compatible model uses: one attempt (retries are our wrappers'), a long
 * timeout (timeouts are too), and no console output past our logger.
 */
export function createOpenAIClient({ baseURL, apiKey, headers }: OpenAIClientSettings): OpenAI {
  return new OpenAI({
    // Local servers (Ollama) need no key, but the SDK insists on one.
    apiKey: apiKey || 'none',
    baseURL,
    maxRetries: 0,
    timeout: 600_000,
    defaultHeaders: headers,
    logLevel: 'off',
  });
}
