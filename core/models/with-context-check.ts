import { GatewayError } from '../errors/gateway-error.ts';
import { estimatePromptTokens } from './estimate-tokens.ts';
import type { CallOptions, LanguageModel } from './language-model.ts';

const format = (n: number) => n.toLocaleString('en-US');

/**
 * Refuses a prompt that cannot fit the model's context window before any round trip, with the numbers.
 * The output budget counts only when the request set one.
 */
export function withContextCheck(model: LanguageModel, contextWindow: number | undefined): LanguageModel {
  if (contextWindow === undefined) return model;
  const check = (options: CallOptions) => {
    const prompt = estimatePromptTokens(options.prompt, options.tools);
    const output = options.maxOutputTokens ?? 0;
    if (prompt + output <= contextWindow) return;
    const budget = output ? ` plus up to ${format(output)} output tokens` : '';
    throw new GatewayError(
      'context_length_exceeded',
      `The prompt is about ${format(prompt)} tokens${budget}, more than the ${format(contextWindow)}-token context window of ` +
        `${model.provider}/${model.modelId}. Shorten the conversation${output ? ' or lower max_tokens' : ''}.`,
      { param: 'messages' },
    );
  };
  return {
    provider: model.provider,
    modelId: model.modelId,
    doGenerate: async (options) => (check(options), model.doGenerate(options)),
    doStream: async (options) => (check(options), model.doStream(options)),
  };
}
