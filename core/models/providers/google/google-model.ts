import type { CallOptions, Content, GenerateResult, LanguageModel, StreamResult } from '../../language-model.ts';
import { startStream } from '../shared/start-stream.ts';
import { googleGenerateContentResponseSchema, type GoogleGenerateContentRequest } from './google-api.ts';
import { convertToGooglePrompt } from './convert-to-google-prompt.ts';
import { googleErrorFromResponse, googleNetworkError, googleProviderError, type GoogleCallContext } from './google-error.ts';
import { googleToolCallId, responseMetadata, toolInput, toUsage, visibleText } from './google-response.ts';
import { guardGoogleStream, mapGoogleStream } from './google-stream.ts';
import { mapGoogleFinishReason } from './map-google-finish-reason.ts';
import { parseSse } from './parse-sse.ts';
import { prepareGoogleTools } from './prepare-google-tools.ts';

export const defaultGoogleBaseURL = 'https://generativelanguage.googleapis.com';

export interface GoogleModelOptions {
  apiKey: string;
  /** The bare origin, as Google's SDKs expect (GOOGLE_AI_BASE_URL). Default: https://generativelanguage.googleapis.com */
  baseURL?: string;
  /** e.g. `gemini-2.5-flash` (a `models/` prefix is accepted too). */
  modelId: string;
}

/**
 * Gemini through its REST API (generateContent and streamGenerateContent), with Node's fetch. The key
 * travels in the `x-goog-api-key` header, never in the URL, so URLs can be logged safely.
 */
export class GoogleModel implements LanguageModel {
  readonly provider = 'google';
  readonly modelId: string;
  readonly #apiKey: string;
  readonly #baseURL: string;

  constructor({ apiKey, baseURL = defaultGoogleBaseURL, modelId }: GoogleModelOptions) {
    this.modelId = modelId.replace(/^models\//, '');
    this.#apiKey = apiKey;
    this.#baseURL = baseURL.replace(/\/+$/, '');
  }

  async doGenerate(options: CallOptions): Promise<GenerateResult> {
    const response = await this.#post('generateContent', options);
    let json: unknown;
    try {
      json = await response.json();
    } catch (error) {
      if (options.abortSignal?.aborted) throw options.abortSignal.reason;
      throw googleProviderError('the response is not valid JSON', this.#context, error);
    }
    const parsed = googleGenerateContentResponseSchema.safeParse(json);
    if (!parsed.success) throw googleProviderError(`unexpected response: ${parsed.error.message}`, this.#context, parsed.error);
    const body = parsed.data;

    const candidate = body.candidates?.[0];
    const content: Content[] = [];
    let toolCalls = 0;
    for (const part of candidate?.content?.parts ?? []) {
      const text = visibleText(part);
      const last = content.at(-1);
      if (text !== undefined) {
        // Gemini may split one answer into several text parts; the stream shows them as one text.
        if (last?.type === 'text') last.text += text;
        else content.push({ type: 'text', text });
      } else if (part.functionCall) {
        const toolCallId = googleToolCallId(part.functionCall, toolCalls++);
        content.push({ type: 'tool-call', toolCallId, toolName: part.functionCall.name, input: toolInput(part.functionCall) });
      }
    }

    const result: GenerateResult = {
      content,
      finishReason: mapGoogleFinishReason({
        finishReason: candidate?.finishReason,
        hasToolCalls: toolCalls > 0,
        blockReason: body.promptFeedback?.blockReason,
      }),
      usage: toUsage(body.usageMetadata),
    };
    const metadata = responseMetadata(body);
    if (metadata) result.response = metadata;
    return result;
  }

  async doStream(options: CallOptions): Promise<StreamResult> {
    const context = this.#context;
    const post = () => this.#post('streamGenerateContent?alt=sse', options);
    async function* parts() {
      const response = await post();
      if (!response.body) throw googleProviderError('the stream has no body', context);
      yield* mapGoogleStream(parseSse(response.body), context);
    }
    return { stream: await startStream(guardGoogleStream(parts(), context, options.abortSignal)) };
  }

  get #context(): GoogleCallContext {
    return { modelId: this.modelId, apiKey: this.#apiKey };
  }

  /** Sends the request; resolves with a 2xx response, rejects with a ProviderCallError or the abort reason. */
  async #post(method: string, options: CallOptions): Promise<Response> {
    const { abortSignal } = options;
    abortSignal?.throwIfAborted();
    let response: Response;
    try {
      response = await fetch(`${this.#baseURL}/v1beta/models/${this.modelId}:${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': this.#apiKey },
        body: JSON.stringify(toRequest(options)),
        signal: abortSignal ?? null,
      });
    } catch (error) {
      if (abortSignal?.aborted) throw abortSignal.reason;
      throw googleNetworkError(error, this.#context);
    }
    if (!response.ok) throw await googleErrorFromResponse(response, this.#context);
    return response;
  }
}

function toRequest(options: CallOptions): GoogleGenerateContentRequest {
  const request: GoogleGenerateContentRequest = {
    ...convertToGooglePrompt(options.prompt),
    ...prepareGoogleTools(options.tools, options.toolChoice),
  };
  const generationConfig: GoogleGenerateContentRequest['generationConfig'] = {};
  if (options.temperature !== undefined) generationConfig.temperature = options.temperature;
  if (options.maxOutputTokens !== undefined) generationConfig.maxOutputTokens = options.maxOutputTokens;
  if (options.stopSequences?.length) generationConfig.stopSequences = options.stopSequences;
  if (Object.keys(generationConfig).length > 0) request.generationConfig = generationConfig;
  return request;
}
