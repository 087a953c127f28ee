import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsBase } from '@anthropic-ai/sdk/resources/messages';
import type { CallOptions, Content, GenerateResult, LanguageModel, StreamResult } from '../../language-model.ts';
import { startStream } from '../shared/start-stream.ts';
import { anthropicMessageSchema, anthropicTextBlockSchema, anthropicToolUseBlockSchema } from './anthropic-api.ts';
import { type AnthropicErrorContext, malformedResponseError, toAnthropicError } from './anthropic-error.ts';
import { convertAnthropicUsage } from './convert-anthropic-usage.ts';
import { convertToAnthropicPrompt, convertToAnthropicTools } from './convert-to-anthropic-prompt.ts';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.ts';
import { mapAnthropicStream } from './map-anthropic-stream.ts';

export interface AnthropicModelOptions {
  apiKey: string;
  /** The bare origin; the SDK appends /v1/messages. Default: https://api.anthropic.com. */
  baseURL?: string;
  modelId: string;
  /** Sent when a call names no maxOutputTokens, since Anthropic requires max_tokens. Default: 4096. */
  defaultMaxOutputTokens?: number;
}

/** Claude through Anthropic's Messages API, with the official SDK doing the HTTP and SSE parsing. */
export class AnthropicModel implements LanguageModel {
  readonly provider = 'anthropic';
  readonly modelId: string;
  readonly #client: Anthropic;
  readonly #errorContext: AnthropicErrorContext;
  readonly #defaultMaxOutputTokens: number;

  constructor({ apiKey, baseURL = 'https://api.anthropic.com', modelId, defaultMaxOutputTokens = 4096 }: AnthropicModelOptions) {
    this.modelId = modelId;
    this.#defaultMaxOutputTokens = defaultMaxOutputTokens;
    this.#errorContext = { modelId, apiKey };
    // Retries and timeouts belong to the gateway's wrappers (withRetry, failover); the SDK's own would
    // multiply them and hide failures from the circuit breaker.
    // The SDK would print unparseable stream chunks (raw model output) to the console, past our logger.
    this.#client = new Anthropic({ apiKey, baseURL, maxRetries: 0, timeout: 600_000, logLevel: 'off' });
  }

  async doGenerate(options: CallOptions): Promise<GenerateResult> {
    const { abortSignal } = options;
    abortSignal?.throwIfAborted();
    let response: unknown;
    try {
      response = await this.#client.messages.create({ ...this.#requestBody(options), stream: false }, { signal: abortSignal });
    } catch (error) {
      throw this.#failure(error, abortSignal);
    }

    const parsed = anthropicMessageSchema.safeParse(response);
    if (!parsed.success) {
      const detail = typeof response === 'string' ? 'a text body' : parsed.error.message;
      throw malformedResponseError(this.#errorContext, `not a Message (${detail})`, parsed.error);
    }
    const message = parsed.data;
    const content: Content[] = [];
    for (const block of message.content) {
      if (block.type === 'text') {
        const text = anthropicTextBlockSchema.safeParse(block);
        if (!text.success) throw malformedResponseError(this.#errorContext, 'a text block without text', text.error);
        content.push({ type: 'text', text: text.data.text });
      } else if (block.type === 'tool_use') {
        const call = anthropicToolUseBlockSchema.safeParse(block);
        if (!call.success) throw malformedResponseError(this.#errorContext, 'a tool_use block without id or name', call.error);
        const input = JSON.stringify(call.data.input ?? {});
        content.push({ type: 'tool-call', toolCallId: call.data.id, toolName: call.data.name, input });
      }
      // Thinking and server-tool blocks have no normalized content part yet.
    }
    return {
      content,
      finishReason: mapAnthropicFinishReason(message.stop_reason),
      usage: convertAnthropicUsage(message.usage),
      response: { id: message.id, modelId: message.model },
    };
  }

  async doStream(options: CallOptions): Promise<StreamResult> {
    const { abortSignal } = options;
    abortSignal?.throwIfAborted();
    try {
      const events = await this.#client.messages.create({ ...this.#requestBody(options), stream: true }, { signal: abortSignal });
      // Resolves after the first part, so an error event or a cut before it still rejects here.
      return { stream: await startStream(mapAnthropicStream(events, { ...this.#errorContext, abortSignal })) };
    } catch (error) {
      throw this.#failure(error, abortSignal);
    }
  }

  /** The Messages API body shared by both calls; optional settings are sent only when given. */
  #requestBody({ prompt, tools, toolChoice, temperature, maxOutputTokens, stopSequences }: CallOptions): MessageCreateParamsBase {
    const { system, messages } = convertToAnthropicPrompt(prompt);
    return {
      model: this.modelId,
      max_tokens: maxOutputTokens ?? this.#defaultMaxOutputTokens,
      ...(system === undefined ? {} : { system }),
      messages,
      ...convertToAnthropicTools(tools, toolChoice),
      ...(temperature === undefined ? {} : { temperature }),
      ...(stopSequences?.length ? { stop_sequences: stopSequences } : {}),
    };
  }

  /** The caller's cancellation passes through untouched (its reason, not a provider error). */
  #failure(error: unknown, abortSignal: AbortSignal | undefined): unknown {
    if (abortSignal?.aborted) return abortSignal.reason;
    return toAnthropicError(error, this.#errorContext);
  }
}
