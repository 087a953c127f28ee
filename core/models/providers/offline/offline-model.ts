import type { CallOptions, GenerateResult, LanguageModel } from '../../language-model.ts';

const echoLimit = 200;

/** A rough, deterministic token count: about four characters a token, as for English text. */
export const estimateTokens = (text: string) => Math.ceil(text.length / 4);

/**
 * The built-in model used when no provider is configured, so the platform answers out of the box.
 * It says plainly that it is offline and how to configure a real provider, and it is deterministic:
 * the same prompt always gets the same answer, which tests rely on.
 */
export class OfflineModel implements LanguageModel {
  readonly provider = 'offline';
  readonly modelId = 'offline';

  async doGenerate({ prompt, abortSignal }: CallOptions): Promise<GenerateResult> {
    abortSignal?.throwIfAborted();
    const lastUser = prompt.findLast((message) => message.role === 'user')?.content ?? '';
    const echo = lastUser.length > echoLimit ? `${lastUser.slice(0, echoLimit)}…` : lastUser;
    const text =
      'This is the built-in offline model: no model provider is configured, so no AI model read your message. ' +
      'To use one, set an API key such as OPENAI_API_KEY or ANTHROPIC_API_KEY (and LLM_PROVIDER to choose among ' +
      `several) and restart the platform. You said: "${echo}"`;
    const input = prompt.reduce((sum, message) => sum + estimateTokens(message.content), 0);
    return { text, finishReason: 'stop', usage: { inputTokens: input, outputTokens: estimateTokens(text) } };
  }
}
