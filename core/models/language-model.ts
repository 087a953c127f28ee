import type { FinishReason, Message, Usage } from '../contracts/message.ts';

/** One call's input, in the gateway's normalized form; each provider translates it to its wire format. */
export interface CallOptions {
  prompt: Message[];
  /** Default: the provider's. */
  temperature?: number;
  /** Default: the provider's. */
  maxOutputTokens?: number;
  abortSignal?: AbortSignal;
}

export interface GenerateResult {
  text: string;
  finishReason: FinishReason;
  usage: Usage;
}

/**
 * What every provider implements, after the Vercel AI SDK's provider specification. Providers only
 * translate; retry, failover and circuit breaking wrap a model from outside.
 */
export interface LanguageModel {
  /** The provider id, as in `provider/model` (`offline`, `openai`, ...). */
  readonly provider: string;
  readonly modelId: string;
  doGenerate(options: CallOptions): Promise<GenerateResult>;
}
