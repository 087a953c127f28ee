import type OpenAI from 'openai';
import { createOpenAIClient } from './create-openai-client.ts';
import type { Usage } from '../../../contracts/message.ts';
import type { CallOptions, Content, GenerateResult, LanguageModel, StreamPart, StreamResult } from '../../language-model.ts';
import { GatewayError } from '../../../errors/gateway-error.ts';
import { ProviderCallError } from '../../provider-error.ts';
import { startStream } from '../shared/start-stream.ts';
import { convertToolChoice, convertToOpenAICompatiblePrompt, convertTools } from './convert-to-openai-compatible-prompt.ts';
import { mapOpenAICompatibleFinishReason } from './map-openai-compatible-finish-reason.ts';
import { toProviderError } from './openai-compatible-error.ts';

/** What distinguishes one OpenAI-compatible vendor from another: a few settings, not a copy of the code. */
export interface OpenAICompatibleSettings {
  /** The provider id: `openai`, `mistral`, `groq`, `openrouter`, `moonshot`, `custom`. */
  provider: string;
  modelId: string;
  /** Including `/v1`, as the openai SDK expects. */
  baseURL: string;
  /** Default: none (local servers such as Ollama need none). */
  apiKey?: string;
  /** OpenAI's current models take `max_completion_tokens`; most compatible servers `max_tokens`. Default: `max_tokens`. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** Whether the server accepts `stream_options.include_usage`; if not, it must report usage on its own. Default: true. */
  streamUsageOption?: boolean;
  /** Extra headers every request carries (OpenRouter's attribution headers). */
  headers?: Record<string, string>;
}

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;

export class OpenAICompatibleModel implements LanguageModel {
  readonly provider: string;
  readonly modelId: string;
  readonly #client: OpenAI;
  readonly #settings: OpenAICompatibleSettings;

  constructor(settings: OpenAICompatibleSettings) {
    this.provider = settings.provider;
    this.modelId = settings.modelId;
    this.#settings = settings;
    this.#client = createOpenAIClient(settings);
  }

  async doGenerate(options: CallOptions): Promise<GenerateResult> {
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await this.#client.chat.completions.create({ ...this.#body(options), stream: false }, { signal: options.abortSignal });
    } catch (error) {
      throw this.#failure(error, options);
    }
    const choice = completion?.choices?.[0];
    if (!choice) throw this.#failure(new Error('the answer has no choices'), options);
    const content: Content[] = [];
    if (choice.message.content) content.push({ type: 'text', text: choice.message.content });
    for (const call of choice.message.tool_calls ?? []) {
      if (call.type !== 'function') continue;
      content.push({ type: 'tool-call', toolCallId: call.id, toolName: call.function.name, input: call.function.arguments || '{}' });
    }
    return {
      content,
      finishReason: mapOpenAICompatibleFinishReason(choice.finish_reason),
      usage: completion.usage ? mapUsage(completion.usage) : estimateUsage(options, content),
      response: { id: completion.id, modelId: completion.model },
    };
  }

  async doStream(options: CallOptions): Promise<StreamResult> {
    return { stream: await startStream(this.#streamParts(options)) };
  }

  async *#streamParts(options: CallOptions): AsyncGenerator<StreamPart> {
    let started = false;
    try {
      const stream = await this.#client.chat.completions.create(
        {
          ...this.#body(options),
          stream: true,
          ...(this.#settings.streamUsageOption === false ? {} : { stream_options: { include_usage: true } }),
        },
        { signal: options.abortSignal },
      );
      const state = new StreamState();
      for await (const chunk of stream) {
        for (const part of state.accept(chunk)) {
          started = true;
          yield part;
        }
      }
      if (state.finishReason === undefined) {
        throw new ProviderCallError({
          provider: this.provider,
          modelId: this.modelId,
          code: 'provider_error',
          message: 'the stream ended before it finished',
        });
      }
      yield* state.close(options);
    } catch (error) {
      const failure = this.#failure(error, options);
      if (!started || !(failure instanceof GatewayError)) throw failure;
      // Once bytes have arrived, a dropped connection is a stream cut mid-way, not a provider out of reach.
      const cut = failure.code === 'provider_unavailable';
      yield {
        type: 'error',
        error: cut
          ? new ProviderCallError({ provider: this.provider, modelId: this.modelId, code: 'provider_error', message: 'the stream was cut mid-way', cause: failure })
          : failure,
      };
    }
  }

  #body(options: CallOptions) {
    const { maxTokensField = 'max_tokens' } = this.#settings;
    const tools = convertTools(options.tools);
    const toolChoice = tools ? convertToolChoice(options.toolChoice) : undefined;
    return {
      model: this.modelId,
      messages: convertToOpenAICompatiblePrompt(options.prompt),
      ...(tools ? { tools } : {}),
      ...(toolChoice ? { tool_choice: toolChoice } : {}),
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(options.maxOutputTokens !== undefined ? { [maxTokensField]: options.maxOutputTokens } : {}),
      ...(options.stopSequences?.length ? { stop: options.stopSequences } : {}),
    };
  }

  #failure(error: unknown, options: CallOptions): unknown {
    // The caller's own cancellation is not a provider failure: it goes back as the caller's reason.
    if (options.abortSignal?.aborted) return options.abortSignal.reason;
    return toProviderError(error, { provider: this.provider, modelId: this.modelId, apiKey: this.#settings.apiKey ?? '' });
  }
}

interface ToolState {
  /** The provider's index for this call, the key it is kept under while open. */
  key: number;
  id: string;
  name: string;
  input: string;
  index: number;
}

/** Turns chunks into stream parts: text framed once, each tool call framed and numbered in order of appearance. */
class StreamState {
  finishReason: ReturnType<typeof mapOpenAICompatibleFinishReason> | undefined;
  #usage: Usage | undefined;
  #text = '';
  #textOpen = false;
  #metadataSent = false;
  #tools = new Map<number, ToolState>();
  #toolCount = 0;

  *accept(chunk: Chunk): Generator<StreamPart> {
    if (!this.#metadataSent) {
      this.#metadataSent = true;
      yield { type: 'response-metadata', id: chunk.id, modelId: chunk.model };
    }
    if (chunk.usage) this.#usage = mapUsage(chunk.usage);
    const choice = chunk.choices?.[0];
    if (!choice) return;
    const { delta } = choice;
    if (delta?.content) {
      if (!this.#textOpen) {
        this.#textOpen = true;
        yield { type: 'text-start', id: 'text-0' };
      }
      this.#text += delta.content;
      yield { type: 'text-delta', id: 'text-0', delta: delta.content };
    }
    for (const call of delta?.tool_calls ?? []) {
      const key = call.index ?? 0;
      let tool = this.#tools.get(key);
      // Some servers number every call 0 and tell them apart only by id: a new id is a new call.
      if (tool && call.id && call.id !== tool.id) {
        yield* this.#closeTool(tool);
        tool = undefined;
      }
      if (!tool) {
        const index = this.#toolCount++;
        tool = { key, id: call.id ?? `call_${index}`, name: call.function?.name ?? '', input: '', index };
        this.#tools.set(key, tool);
        yield { type: 'tool-input-start', id: tool.id, toolName: tool.name, index };
      }
      const argumentsDelta = call.function?.arguments;
      if (argumentsDelta) {
        tool.input += argumentsDelta;
        yield { type: 'tool-input-delta', id: tool.id, delta: argumentsDelta };
      }
    }
    if (choice.finish_reason) this.finishReason = mapOpenAICompatibleFinishReason(choice.finish_reason);
  }

  *close(options: CallOptions): Generator<StreamPart> {
    if (this.#textOpen) yield { type: 'text-end', id: 'text-0' };
    const content: Content[] = this.#text ? [{ type: 'text', text: this.#text }] : [];
    for (const tool of [...this.#tools.values()].sort((a, b) => a.index - b.index)) {
      content.push({ type: 'tool-call', toolCallId: tool.id, toolName: tool.name, input: tool.input || '{}' });
      yield* this.#closeTool(tool);
    }
    yield { type: 'finish', finishReason: this.finishReason ?? 'other', usage: this.#usage ?? estimateUsage(options, content) };
  }

  *#closeTool(tool: ToolState): Generator<StreamPart> {
    this.#tools.delete(tool.key);
    yield { type: 'tool-input-end', id: tool.id };
    yield { type: 'tool-call', toolCallId: tool.id, toolName: tool.name, input: tool.input || '{}' };
  }
}

function mapUsage(usage: OpenAI.Completions.CompletionUsage): Usage {
  const cached = usage.prompt_tokens_details?.cached_tokens;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    ...(cached ? { cachedInputTokens: cached } : {}),
    ...(reasoning ? { reasoningTokens: reasoning } : {}),
  };
}

/**
 * Only for servers that report no usage at all (some local servers): about four characters a token,
 * so cost is approximately right rather than zero.
 */
function estimateUsage(options: CallOptions, content: Content[]): Usage {
  const chars = (value: unknown) => JSON.stringify(value).length;
  return { inputTokens: Math.ceil(chars(options.prompt) / 4), outputTokens: Math.ceil(chars(content) / 4) };
}
